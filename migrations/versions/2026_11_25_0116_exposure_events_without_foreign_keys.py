"""Exposure events without foreign keys: ingestion resolves contractor and queue in the same
transaction and neither is ever deleted; the per-row checks were most of the insert's cost.

Revision ID: 0116
Revises: 0106
Create Date: 2026-11-25 15:09:51.513178
"""

from __future__ import annotations

from alembic import op

revision = "0116"
down_revision = "0106"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_exposure_events_contractor_id_contractors"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_exposure_events_queue_id_queues"), type_="foreignkey"
        )


def downgrade() -> None:
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_exposure_events_queue_id_queues"), "queues", ["queue_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_exposure_events_contractor_id_contractors"),
            "contractors",
            ["contractor_id"],
            ["id"],
        )
