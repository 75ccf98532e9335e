"""Scheduler heartbeats: each scheduler process records that it is alive, for readiness.

Revision ID: 0122
Revises: 0121
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workforce.db import UTCDateTime

revision = "0122"
down_revision = "0121"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("scheduler_id", sa.String(length=200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("beat_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scheduler_id", name=op.f("pk_scheduler_heartbeats")),
    )
    op.create_index(
        op.f("ix_scheduler_heartbeats_beat_at"), "scheduler_heartbeats", ["beat_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduler_heartbeats_beat_at"), table_name="scheduler_heartbeats")
    op.drop_table("scheduler_heartbeats")
