"""Exposure policies (with the default, version 1), events, daily roll-ups and runs

Revision ID: 0103
Revises: 0104
Create Date: 2026-11-25 12:18:33.534011
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0103"
down_revision = "0104"
branch_labels = None
depends_on = None

#: The default policy frozen as it was seeded. Databases migrated before 2026-12-05 stored
#: an older citation, a design note outside this repository; migration 0164 re-points it
#: here, and a test proves head and the live copy (workforce.exposure.policy) agree. In
#: force from 2000-01-01 so it covers all history.
DEFAULT_POLICY = {
    "name": "Default exposure policy (docs/architecture.md)",
    "tiers": [
        {
            "tier": 3,
            "daily_cap_minutes": {
                "value": 240,
                "note": "4 h a day on disturbing content: the cap one "
                "large platform published for its reviewers in "
                "2018 (docs/architecture.md)",
            },
            "continuous_limit_minutes": {
                "value": 60,
                "note": "Workforce default policy (docs/architecture.md); "
                "an operator's choice, no published "
                "study",
            },
            "break_minutes": {
                "value": 15,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
            "weekly_cap_minutes": {
                "value": 960,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study; 4 "
                "days at the daily cap",
            },
            "max_consecutive_days": {
                "value": 4,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
            "cooldown_hours": {
                "value": 48,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
        },
        {
            "tier": 2,
            "daily_cap_minutes": {
                "value": 360,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
            "continuous_limit_minutes": {
                "value": 90,
                "note": "Workforce default policy (docs/architecture.md); "
                "an operator's choice, no published "
                "study",
            },
            "break_minutes": {
                "value": 15,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
            "weekly_cap_minutes": {
                "value": 1440,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study; 4 "
                "days at the daily cap",
            },
            "max_consecutive_days": {
                "value": 5,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
            "cooldown_hours": {
                "value": 24,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
        },
        {
            "tier": 1,
            "daily_cap_minutes": {
                "value": 480,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study; a full "
                "8-hour working day",
            },
            "continuous_limit_minutes": {
                "value": 120,
                "note": "Workforce default policy (docs/architecture.md); "
                "an operator's choice, no published "
                "study",
            },
            "break_minutes": {
                "value": 10,
                "note": "Workforce default policy (docs/architecture.md); an "
                "operator's choice, no published study",
            },
            "weekly_cap_minutes": {"value": None, "note": "no rolling cap for low-tier content"},
            "max_consecutive_days": {
                "value": None,
                "note": "no consecutive-day limit for low-tier content",
            },
            "cooldown_hours": {"value": None, "note": "no cooldown for low-tier content"},
        },
    ],
    "planned_rotation": {
        "work_tier": {
            "value": 3,
            "note": "Workforce default policy (docs/architecture.md); an "
            "operator's choice, no published study; "
            "weeks with tier-3 work count",
        },
        "after_consecutive_weeks": {
            "value": 4,
            "note": "Workforce default policy "
            "(docs/architecture.md); an operator's "
            "choice, no published study",
        },
        "weeks_off": {
            "value": 1,
            "note": "Workforce default policy (docs/architecture.md); an "
            "operator's choice, no published study",
        },
        "off_from_tier": {
            "value": 2,
            "note": "Workforce default policy (docs/architecture.md); "
            "an operator's choice, no published "
            "study; the week off is off tiers 2 and "
            "3",
        },
    },
    "checkin": {
        "interval_days": {
            "value": 14,
            "note": "Workforce default policy (docs/architecture.md); an "
            "operator's choice, no published study",
        },
        "from_tier": {
            "value": 2,
            "note": "Workforce default policy (docs/architecture.md); an operator's "
            "choice, no published study; offered to anyone on "
            "tier 2 or 3",
        },
    },
}


def upgrade() -> None:
    op.create_table(
        "exposure_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("effective_from", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("planned_rotation", sa.JSON(), nullable=False),
        sa.Column("checkin", sa.JSON(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_policies")),
        sa.UniqueConstraint("version", name=op.f("uq_exposure_policies_version")),
    )
    with op.batch_alter_table("exposure_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exposure_policies_effective_from"), ["effective_from"], unique=False
        )

    op.create_table(
        "exposure_daily",
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_exposure_daily_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint(
            "contractor_id", "local_day", "tier", "category", name=op.f("pk_exposure_daily")
        ),
    )
    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.create_index("ix_exposure_daily_local_day", ["local_day"], unique=False)

    op.create_table(
        "exposure_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ingest_token_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("started_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("received_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_seconds BETWEEN 0 AND 14400", name=op.f("ck_exposure_events_duration_range")
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_exposure_events_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_exposure_events_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_events")),
        sa.UniqueConstraint(
            "ingest_token_id", "event_id", name=op.f("uq_exposure_events_ingest_token_id")
        ),
    )
    op.create_table(
        "exposure_runs",
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("tier1_start_us", sa.BigInteger(), nullable=True),
        sa.Column("tier1_end_us", sa.BigInteger(), nullable=True),
        sa.Column("tier2_start_us", sa.BigInteger(), nullable=True),
        sa.Column("tier2_end_us", sa.BigInteger(), nullable=True),
        sa.Column("tier3_start_us", sa.BigInteger(), nullable=True),
        sa.Column("tier3_end_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_exposure_runs_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("contractor_id", name=op.f("pk_exposure_runs")),
    )
    policies = sa.table(
        "exposure_policies",
        sa.column("version", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("effective_from", workforce.db.UTCDateTime()),
        sa.column("tiers", sa.JSON()),
        sa.column("planned_rotation", sa.JSON()),
        sa.column("checkin", sa.JSON()),
        sa.column("created_at", workforce.db.UTCDateTime()),
    )
    op.bulk_insert(
        policies,
        [
            {
                "version": 1,
                "effective_from": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                "created_at": dt.datetime.now(dt.UTC),
                **DEFAULT_POLICY,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("exposure_runs")
    op.drop_table("exposure_events")
    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_exposure_daily_local_day")

    op.drop_table("exposure_daily")
    with op.batch_alter_table("exposure_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_policies_effective_from"))

    op.drop_table("exposure_policies")
