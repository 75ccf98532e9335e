"""Per contractor x local day exposure totals (``contractor_days``) for the exposure report.

Ingestion keeps it as the sum of the day's ``exposure_daily`` rows from now on; the upgrade
fills it from the roll-ups already stored, so reports over earlier periods read the same.

Revision ID: 0119
Revises: 0118
Create Date: 2026-12-04 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0119"
down_revision = "0118"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contractor_days",
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("tier1_seconds", sa.BigInteger(), nullable=False),
        sa.Column("tier2_seconds", sa.BigInteger(), nullable=False),
        sa.Column("tier3_seconds", sa.BigInteger(), nullable=False),
        sa.Column("breaks_due", sa.Integer(), nullable=False),
        sa.Column("breaks_missed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_contractor_days_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("local_day", "contractor_id", name=op.f("pk_contractor_days")),
    )
    op.execute(
        "INSERT INTO contractor_days (local_day, contractor_id, tier1_seconds, tier2_seconds, "
        "tier3_seconds, breaks_due, breaks_missed) "
        "SELECT local_day, contractor_id, SUM(seconds), "
        "SUM(CASE WHEN tier >= 2 THEN seconds ELSE 0 END), "
        "SUM(CASE WHEN tier >= 3 THEN seconds ELSE 0 END), SUM(breaks_due), "
        "SUM(breaks_missed) FROM exposure_daily GROUP BY local_day, contractor_id"
    )


def downgrade() -> None:
    op.drop_table("contractor_days")
