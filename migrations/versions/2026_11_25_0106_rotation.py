"""Rotations: the human review of an automated rotation (request, outcome, comments).

Revision ID: 0106
Revises: 0109
Create Date: 2026-11-25 13:24:59.867308
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0106"
down_revision = "0109"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_status", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("review_comment", sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("review_requested_at", workforce.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("review_answer", sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_at", workforce.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_answer")
        batch_op.drop_column("review_requested_at")
        batch_op.drop_column("review_comment")
        batch_op.drop_column("review_status")
