"""Monthly partitions of exposure_events on PostgreSQL (issue 24)

Revision ID: 0195
Revises: 0192
Create Date: 2026-12-07 05:30:00

Both engines gain ``exposure_event_keys``, the idempotency key ``(ingest_token_id,
event_id)`` with its ``received_at``: on PostgreSQL it replaces the unique key of
``exposure_events`` (a partitioned table's unique index must include the partition key);
SQLite leaves it empty and keeps ``exposure_events`` as it is.

On PostgreSQL ``exposure_events`` becomes partitioned by range of ``received_at``: one
partition per month from its oldest row's month to :data:`MONTHS_AHEAD` months after the
current one, and ``exposure_events_default`` for any other instant. In one transaction the
old table is renamed, every row copied into the new one (same ids; the id sequence moves
over), every key into ``exposure_event_keys``, and the old table dropped:
``tests/test_migration_0195.py`` checks the counts and a checksum of every row. The
partition layout is written out here rather than imported, so this revision keeps the
layout it was written with.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0195"
down_revision = "0192"
branch_labels = None
depends_on = None

#: Partitions created ahead of the current month (the scheduler keeps it so afterwards).
MONTHS_AHEAD = 2
COLUMNS = (
    "id, ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at, "
    "duration_seconds, items, modality, mitigations, received_at"
)
TABLE_BODY = """
    id bigint NOT NULL DEFAULT nextval('exposure_events_id_seq'),
    ingest_token_id integer NOT NULL,
    event_id varchar(128) NOT NULL,
    contractor_id integer NOT NULL,
    queue_id integer NOT NULL,
    tier smallint NOT NULL,
    category varchar(32),
    started_at timestamptz NOT NULL,
    duration_seconds integer NOT NULL,
    items integer NOT NULL,
    modality varchar(8),
    mitigations varchar(64),
    received_at timestamptz NOT NULL,
    CONSTRAINT ck_exposure_events_duration_range CHECK (duration_seconds BETWEEN 0 AND 14400),
"""


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def upgrade() -> None:
    op.create_table(
        "exposure_event_keys",
        sa.Column("ingest_token_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ingest_token_id", "event_id", name=op.f("pk_exposure_event_keys")),
    )
    op.create_index(
        op.f("ix_exposure_event_keys_received_at"), "exposure_event_keys", ["received_at"]
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    bind = op.get_bind()
    op.execute("ALTER TABLE exposure_events RENAME TO exposure_events_old")
    op.execute("ALTER INDEX ix_exposure_events_received_at RENAME TO ix_exposure_events_old_ra")
    op.execute("ALTER TABLE exposure_events_old RENAME CONSTRAINT pk_exposure_events TO pk_old")
    op.execute(
        f"CREATE TABLE exposure_events ({TABLE_BODY}"
        " CONSTRAINT pk_exposure_events PRIMARY KEY (id, received_at))"
        " PARTITION BY RANGE (received_at)"
    )
    op.execute("ALTER SEQUENCE exposure_events_id_seq OWNED BY exposure_events.id")
    op.execute("ALTER TABLE exposure_events_old ALTER COLUMN id DROP DEFAULT")
    op.execute("CREATE INDEX ix_exposure_events_received_at ON exposure_events (received_at)")
    oldest = bind.scalar(sa.text("SELECT min(received_at) FROM exposure_events_old"))
    today = dt.datetime.now(dt.UTC).date()
    month = dt.date((oldest or today).year, (oldest or today).month, 1)
    last = dt.date(today.year, today.month, 1)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    while month <= last:
        end = _next_month(month)
        op.execute(
            f"CREATE TABLE exposure_events_p{month:%Y_%m} PARTITION OF exposure_events"
            f" FOR VALUES FROM ('{month.isoformat()}') TO ('{end.isoformat()}')"
        )
        month = end
    op.execute("CREATE TABLE exposure_events_default PARTITION OF exposure_events DEFAULT")
    op.execute(f"INSERT INTO exposure_events ({COLUMNS}) SELECT {COLUMNS} FROM exposure_events_old")
    op.execute(
        "INSERT INTO exposure_event_keys (ingest_token_id, event_id, received_at) "
        "SELECT ingest_token_id, event_id, received_at FROM exposure_events_old"
    )
    op.execute("DROP TABLE exposure_events_old")
    op.execute("ANALYZE exposure_events")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE exposure_events RENAME TO exposure_events_parted")
        op.execute(
            "ALTER INDEX ix_exposure_events_received_at RENAME TO ix_exposure_events_parted_ra"
        )
        op.execute(
            "ALTER TABLE exposure_events_parted RENAME CONSTRAINT pk_exposure_events TO pk_parted"
        )
        op.execute(
            f"CREATE TABLE exposure_events ({TABLE_BODY}"
            " CONSTRAINT pk_exposure_events PRIMARY KEY (id),"
            " CONSTRAINT uq_exposure_events_ingest_token_id UNIQUE (ingest_token_id, event_id))"
        )
        op.execute("ALTER SEQUENCE exposure_events_id_seq OWNED BY exposure_events.id")
        op.execute("ALTER TABLE exposure_events_parted ALTER COLUMN id DROP DEFAULT")
        op.execute("CREATE INDEX ix_exposure_events_received_at ON exposure_events (received_at)")
        op.execute(
            f"INSERT INTO exposure_events ({COLUMNS}) SELECT {COLUMNS} FROM exposure_events_parted"
        )
        op.execute("DROP TABLE exposure_events_parted")
    op.drop_index(op.f("ix_exposure_event_keys_received_at"), table_name="exposure_event_keys")
    op.drop_table("exposure_event_keys")
