"""Wellbeing check-ins, referrals, follow-ups and rotation notes

Revision ID: 0107
Revises: 0103
Create Date: 2026-11-25 12:13:49.160571
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0107"
down_revision = "0103"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("raw_score", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=24), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answers_deleted_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "instrument IN ('who5', 'phq9', 'gad7', 'pcl5')",
            name=op.f("ck_check_ins_instrument_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_check_ins_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_ins_contractor_created", ["contractor_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_check_ins_flagged_urgent_created", ["flagged", "urgent", "created_at"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_in_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_referrals_status_known")),
        sa.ForeignKeyConstraint(
            ["check_in_id"], ["check_ins.id"], name=op.f("fk_referrals_check_in_id_check_ins")
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_referrals_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("check_in_id", name=op.f("uq_referrals_check_in_id")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_status_urgent_created", ["status", "urgent", "created_at"], unique=False
        )

    op.create_table(
        "rotation_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.String(length=4000), nullable=True),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_rotation_notes_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"], ["rotations.id"], name=op.f("fk_rotation_notes_rotation_id_rotations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_notes")),
        sa.UniqueConstraint("rotation_id", name=op.f("uq_rotation_notes_rotation_id")),
    )
    with op.batch_alter_table("rotation_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_notes_contractor_id"), ["contractor_id"], unique=False
        )

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("counsellor_token_id", sa.Integer(), nullable=True),
        sa.Column("contacted", sa.Boolean(), nullable=False),
        sa.Column("contacted_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=4000), nullable=False),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_follow_ups_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_follow_ups_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_ups_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_follow_ups_referral_id"), ["referral_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_referral_id"))
        batch_op.drop_index(batch_op.f("ix_follow_ups_contractor_id"))

    op.drop_table("follow_ups")
    with op.batch_alter_table("rotation_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_notes_contractor_id"))

    op.drop_table("rotation_notes")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_urgent_created")
        batch_op.drop_index(batch_op.f("ix_referrals_contractor_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index("ix_check_ins_flagged_urgent_created")
        batch_op.drop_index("ix_check_ins_contractor_created")

    op.drop_table("check_ins")
