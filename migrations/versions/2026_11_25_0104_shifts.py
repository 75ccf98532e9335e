"""Shifts: weekly patterns, overrides and corrections, calendar feeds

Revision ID: 0104
Revises: 0003
Create Date: 2026-11-25 12:36:07.114140
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0104"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_calendar_feeds_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("contractor_id", name=op.f("uq_calendar_feeds_contractor_id")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_calendar_feeds_secret_hash")),
    )
    op.create_table(
        "shift_patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("days_of_week", sa.JSON(), nullable=False),
        sa.Column("local_start", sa.String(length=5), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("override_reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_shift_patterns_duration_positive")
        ),
        sa.CheckConstraint("until >= starts_on", name=op.f("ck_shift_patterns_until_after_start")),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_shift_patterns_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_shift_patterns_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_patterns")),
    )
    with op.batch_alter_table("shift_patterns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shift_patterns_contractor_id"), ["contractor_id"], unique=False
        )

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_reason", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("pattern_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("corrected_at", workforce.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_shifts_pattern_id"), ["pattern_id"], unique=False)
        batch_op.create_index("ix_shifts_status_starts", ["status", "starts_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_shifts_pattern_id_shift_patterns"),
            "shift_patterns",
            ["pattern_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_shifts_pattern_id_shift_patterns"), type_="foreignkey"
        )
        batch_op.drop_index("ix_shifts_status_starts")
        batch_op.drop_index(batch_op.f("ix_shifts_pattern_id"))
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("pattern_id")
        batch_op.drop_column("override_reason")

    with op.batch_alter_table("shift_patterns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_patterns_contractor_id"))

    op.drop_table("shift_patterns")
    op.drop_table("calendar_feeds")
