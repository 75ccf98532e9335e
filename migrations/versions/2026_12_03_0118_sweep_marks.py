"""Incremental rotation sweep: a change count on each runs row and the sweep's marks.

``exposure_runs.changes`` counts the ingest batches that added to a contractor's roll-ups;
``sweep_marks`` holds the count (and policy version) the sweep last measured, so each sweep
measures only contractors whose exposure moved. Existing runs rows start at 0 with no mark:
the first sweep after the upgrade measures everyone once.

Revision ID: 0118
Revises: 0114
Create Date: 2026-12-03 23:58:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0118"
down_revision = "0114"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_marks",
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("recheck_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_sweep_marks_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("contractor_id", name=op.f("pk_sweep_marks")),
    )
    with op.batch_alter_table("exposure_runs") as batch_op:
        batch_op.add_column(
            sa.Column("changes", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("exposure_runs") as batch_op:
        batch_op.drop_column("changes")
    op.drop_table("sweep_marks")
