"""A WHO-5 that fell by 10 points or more since the previous one opens a referral:
``referrals.worsening`` (why, for counsellors) and ``referrals.drop_key`` with a unique
partial index on ``(contractor_id, drop_key)`` (one such referral per contractor and day).

Existing referrals were opened by a flagged screen: both columns stay NULL.

Revision ID: 0171
Revises: 0164
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0171"
down_revision = "0164"
branch_labels = None
depends_on = None

INDEX = "uq_referrals_contractor_drop_key"


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch_op:
        batch_op.add_column(sa.Column("worsening", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column("drop_key", sa.String(length=40), nullable=True))
    op.create_index(
        INDEX,
        "referrals",
        ["contractor_id", "drop_key"],
        unique=True,
        sqlite_where=sa.text("drop_key IS NOT NULL"),
        postgresql_where=sa.text("drop_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="referrals")
    with op.batch_alter_table("referrals") as batch_op:
        batch_op.drop_column("drop_key")
        batch_op.drop_column("worsening")
