"""When staff last changed a contractor's email: for a while after, no password link is
sent to the new address, so the person can object before anyone signs in as them.

Revision ID: 0163
Revises: 0162
Create Date: 2026-12-05 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workforce.db import UTCDateTime

revision = "0163"
down_revision = "0162"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contractors", sa.Column("email_changed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contractors") as batch:
        batch.drop_column("email_changed_at")
