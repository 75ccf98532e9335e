"""Shift handovers: a reassigned shift stays in the previous holder's feed as cancelled.

Revision ID: 0117
Revises: 0116
Create Date: 2026-11-25 15:18:23.527477
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0117"
down_revision = "0116"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_shift_handovers_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_shift_handovers_shift_id_shifts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_handovers")),
    )
    with op.batch_alter_table("shift_handovers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shift_handovers_contractor_starts", ["contractor_id", "starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shift_handovers_shift_id"), ["shift_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shift_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_handovers_shift_id"))
        batch_op.drop_index("ix_shift_handovers_contractor_starts")

    op.drop_table("shift_handovers")
