"""Availability windows and time-off requests (issue 22)

Revision ID: 0191
Revises: 0193
Create Date: 2026-12-07 09:00:00

Two new tables of scheduling: ``availability_windows`` (a contractor's weekly windows in
local wall time; none stored means available at any time, as before) and
``time_off_requests`` (local date ranges with a kind and a status).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0191"
down_revision = "0193"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "availability_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_availability_windows_weekday_known")
        ),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name=op.f("ck_availability_windows_window_in_day"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_availability_windows_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_windows")),
    )
    with op.batch_alter_table("availability_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_windows_contractor_id"), ["contractor_id"], unique=False
        )

    op.create_table(
        "time_off_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("decided_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shifts_released", sa.Integer(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_time_off_requests_ends_after_start")
        ),
        sa.CheckConstraint(
            "kind IN ('vacation', 'sick', 'personal', 'wellbeing')",
            name=op.f("ck_time_off_requests_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'cancelled')",
            name=op.f("ck_time_off_requests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_time_off_requests_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off_requests")),
    )
    with op.batch_alter_table("time_off_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_time_off_requests_contractor_starts", ["contractor_id", "starts_on"], unique=False
        )
        batch_op.create_index("ix_time_off_requests_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("time_off_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_time_off_requests_status")
        batch_op.drop_index("ix_time_off_requests_contractor_starts")
    op.drop_table("time_off_requests")

    with op.batch_alter_table("availability_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_windows_contractor_id"))
    op.drop_table("availability_windows")
