"""Wellbeing report bins frozen once over (``wellbeing_bins``).

The first wellbeing report that reads an ISO week or calendar month after it is over stores
who was in each group and who checked in; later reports read that, so a released cell never
changes by one person (docs/reports.md). Starts empty: bins are frozen as they are asked for.

Revision ID: 0143
Revises: 0142
Create Date: 2026-12-05 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0143"
down_revision = "0142"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wellbeing_bins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_bins")),
        sa.UniqueConstraint("kind", "start", name=op.f("uq_wellbeing_bins_kind")),
    )


def downgrade() -> None:
    op.drop_table("wellbeing_bins")
