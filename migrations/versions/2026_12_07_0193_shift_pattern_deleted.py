"""A shift pattern can be deleted (issue 22)

Revision ID: 0193
Revises: 0181
Create Date: 2026-12-07 06:00:00

``shift_patterns`` gains ``deleted_at``: ``DELETE /shift-patterns/{id}`` cancels the
pattern's future shifts and marks the pattern deleted; the row stays, because its past
shifts still point to it (where they came from).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0193"
down_revision = "0181"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shift_patterns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shift_patterns", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
