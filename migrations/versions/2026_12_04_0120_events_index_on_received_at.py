"""Retention finds the oldest raw events by arrival: an index on exposure_events.received_at
replaces the one on started_at.

``received_at`` only grows, so every ingest batch appends at the index's right edge; the
``started_at`` index took a scattered page write per event, a quarter of ingestion time on
SQLite (docs/benchmarks.md). Both are built and dropped without blocking ingestion on
PostgreSQL (CONCURRENTLY cannot run inside a transaction).

Revision ID: 0120
Revises: 0119
Create Date: 2026-12-04 04:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0120"
down_revision = "0119"
branch_labels = None
depends_on = None

NEW = ("ix_exposure_events_received_at", "received_at")
OLD = ("ix_exposure_events_started_at", "started_at")


def _swap(create: tuple[str, str], drop: tuple[str, str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(create[0], "exposure_events", [create[1]], postgresql_concurrently=True)
            op.drop_index(drop[0], table_name="exposure_events", postgresql_concurrently=True)
    else:
        op.create_index(create[0], "exposure_events", [create[1]])
        op.drop_index(drop[0], table_name="exposure_events")


def upgrade() -> None:
    _swap(NEW, OLD)


def downgrade() -> None:
    _swap(OLD, NEW)
