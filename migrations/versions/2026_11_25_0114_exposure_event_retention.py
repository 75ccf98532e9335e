"""Exposure event retention: an index on exposure_events.started_at, so the retention job
finds the oldest events without scanning the table.

Revision ID: 0114
Revises: 0113
Create Date: 2026-11-25 14:54:57.872836
"""

from __future__ import annotations

from alembic import op

revision = "0114"
down_revision = "0113"
branch_labels = None
depends_on = None

INDEX = "ix_exposure_events_started_at"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The table is the largest by far: build the index without blocking ingestion
        # (CONCURRENTLY cannot run inside a transaction).
        with op.get_context().autocommit_block():
            op.create_index(INDEX, "exposure_events", ["started_at"], postgresql_concurrently=True)
    else:
        op.create_index(INDEX, "exposure_events", ["started_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="exposure_events")
