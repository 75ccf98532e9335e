"""Reports: stored report runs (content and SHA-256) for evidence

Revision ID: 0109
Revises: 0111
Create Date: 2026-11-25 13:21:35.927577
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0109"
down_revision = "0111"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("generated_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("generated_by_name", sa.String(length=200), nullable=False),
        sa.Column("generated_by_role", sa.String(length=32), nullable=False),
        sa.Column("generated_by_token_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_runs_generated_at"), ["generated_at"])
        batch_op.create_index(batch_op.f("ix_report_runs_kind"), ["kind"])


def downgrade() -> None:
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_runs_kind"))
        batch_op.drop_index(batch_op.f("ix_report_runs_generated_at"))
    op.drop_table("report_runs")
