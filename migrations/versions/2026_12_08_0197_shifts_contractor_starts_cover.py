"""A covering index for reading a contractor's shifts (the cover finder, enforce)

Revision ID: 0197
Revises: 0196
Create Date: 2026-12-08 09:00:00

``ix_shifts_contractor_starts (contractor_id, starts_at)`` becomes
``ix_shifts_contractor_starts_cover (contractor_id, starts_at, status, ends_at)``: the
cover finder adds up the counted shifts of thousands of contractors in a window, one
short range of the index each, in contractor order (no sort for its ``GROUP BY``) and
without reading the table's rows (on SQLite, the shifts' ids too: the rowid); ``enforce``
reads a contractor's shifts from the same prefix as before, which it replaces. On
PostgreSQL the index is built by a plain ``CREATE INDEX``, which holds writes to
``shifts`` for the seconds it takes (a table of a few million shifts).
"""

from __future__ import annotations

from alembic import op

revision = "0197"
down_revision = "0196"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shifts_contractor_starts_cover",
            ["contractor_id", "starts_at", "status", "ends_at"],
            unique=False,
        )
        batch_op.drop_index("ix_shifts_contractor_starts")


def downgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shifts_contractor_starts", ["contractor_id", "starts_at"], unique=False
        )
        batch_op.drop_index("ix_shifts_contractor_starts_cover")
