"""A covering index for the cover finder's range scans of shifts (issue 22)

Revision ID: 0196
Revises: 0195
Create Date: 2026-12-07 07:00:00

``ix_shifts_status_starts (status, starts_at)`` becomes ``ix_shifts_status_starts_cover
(status, starts_at, contractor_id, ends_at)``: the cover finder aggregates the counted
shifts around a shift for the whole workforce from the index alone, without reading the
table's rows. The missed-shift job's scan (status, then starts_at) uses its prefix as it
used the old index, which it replaces.
"""

from __future__ import annotations

from alembic import op

revision = "0196"
down_revision = "0195"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shifts_status_starts_cover",
            ["status", "starts_at", "contractor_id", "ends_at"],
            unique=False,
        )
        batch_op.drop_index("ix_shifts_status_starts")


def downgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index("ix_shifts_status_starts", ["status", "starts_at"], unique=False)
        batch_op.drop_index("ix_shifts_status_starts_cover")
