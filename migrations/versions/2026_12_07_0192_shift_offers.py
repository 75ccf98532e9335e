"""Shift offers, swaps and the cover finder (issue 22): table ``shift_offers``.

One accepted offer per shift, kept by the unique partial index
``uq_shift_offers_accepted_shift``: of two takers racing for offers of one shift, one wins.
``from_contractor_id`` is NULL for an open shift ops offered (``POST /shifts/{id}/offer-to``).

Revision ID: 0192
Revises: 0191
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workforce.db import UTCDateTime

revision = "0192"
down_revision = "0191"
branch_labels = None
depends_on = None

ACCEPTED = "status = 'accepted'"


def upgrade() -> None:
    op.create_table(
        "shift_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("from_contractor_id", sa.Integer(), nullable=True),
        sa.Column("to_contractor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("taker_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("swap_offer_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_shift_offers_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["from_contractor_id"],
            ["contractors.id"],
            name=op.f("fk_shift_offers_from_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_shift_offers_shift_id_shifts")
        ),
        sa.ForeignKeyConstraint(
            ["swap_offer_id"],
            ["shift_offers.id"],
            name=op.f("fk_shift_offers_swap_offer_id_shift_offers"),
        ),
        sa.ForeignKeyConstraint(
            ["taker_id"], ["contractors.id"], name=op.f("fk_shift_offers_taker_id_contractors")
        ),
        sa.ForeignKeyConstraint(
            ["to_contractor_id"],
            ["contractors.id"],
            name=op.f("fk_shift_offers_to_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_offers")),
    )
    op.create_index("ix_shift_offers_from_contractor_id", "shift_offers", ["from_contractor_id"])
    op.create_index("ix_shift_offers_shift_id", "shift_offers", ["shift_id"])
    op.create_index("ix_shift_offers_taker_id", "shift_offers", ["taker_id"])
    op.create_index("ix_shift_offers_status_created", "shift_offers", ["status", "created_at"])
    op.create_index(
        "uq_shift_offers_accepted_shift",
        "shift_offers",
        ["shift_id"],
        unique=True,
        sqlite_where=sa.text(ACCEPTED),
        postgresql_where=sa.text(ACCEPTED),
    )


def downgrade() -> None:
    op.drop_index("uq_shift_offers_accepted_shift", table_name="shift_offers")
    op.drop_index("ix_shift_offers_status_created", table_name="shift_offers")
    op.drop_index("ix_shift_offers_taker_id", table_name="shift_offers")
    op.drop_index("ix_shift_offers_shift_id", table_name="shift_offers")
    op.drop_index("ix_shift_offers_from_contractor_id", table_name="shift_offers")
    op.drop_table("shift_offers")
