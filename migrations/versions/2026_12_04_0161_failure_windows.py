"""Failure windows of the sign-in rate limits, shared by every worker and host.

One row per key (a SHA-256 digest) and open window; ``expires_at`` is indexed for the job
that deletes closed windows.

Revision ID: 0161
Revises: 0122
Create Date: 2026-12-04 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workforce.db import UTCDateTime

revision = "0161"
down_revision = "0122"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failure_windows",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_failure_windows")),
    )
    op.create_index(
        op.f("ix_failure_windows_expires_at"), "failure_windows", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_failure_windows_expires_at"), table_name="failure_windows")
    op.drop_table("failure_windows")
