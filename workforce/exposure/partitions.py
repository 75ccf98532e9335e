"""Monthly partitions of ``exposure_events`` on PostgreSQL (docs/scaling.md, "Monthly
partitions").

On PostgreSQL ``exposure_events`` is partitioned by range of ``received_at`` (the arrival
instant, which only grows), one partition a month named ``exposure_events_pYYYY_MM``, and a
``exposure_events_default`` partition as a safety net: a row whose month has no partition
yet lands there rather than failing its batch. The scheduler's ``exposure-partitions`` job
(:func:`ensure_partitions`) creates the coming months ahead and moves any row the default
partition caught into its month's own partition; readiness complains while the default
partition holds rows (:func:`default_partition_rows`). Retention detaches and drops whole
months (:func:`drop_partitions_before`).

A unique index of a partitioned table must include the partition key, so the idempotency
key ``(ingest_token_id, event_id)`` lives in a small table of its own,
``exposure_event_keys`` (not partitioned; ingestion inserts there first, see
:func:`workforce.exposure.ingest.postgresql.insert_events`), kept as long as the events.

SQLite keeps one plain table: every function here does nothing there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from workforce import db

PARENT = "exposure_events"
DEFAULT_PARTITION = "exposure_events_default"
_NAME = re.compile(r"^exposure_events_p(\d{4})_(\d{2})$")


class Partition(NamedTuple):
    name: str
    #: the first day of its month (UTC); it holds ``received_at`` in [start, end)
    start: dt.date
    end: dt.date


def month_start(instant: dt.datetime | dt.date) -> dt.date:
    return dt.date(instant.year, instant.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_of(month: dt.date) -> Partition:
    """The partition that holds ``received_at`` of ``month`` (any day of it)."""
    start = month_start(month)
    return Partition(f"{PARENT}_p{start:%Y_%m}", start, next_month(start))


def is_partitioned(session: Session) -> bool:
    """Is ``exposure_events`` a partitioned table here (PostgreSQL after migration 0195)?"""
    if not db.is_postgresql(session):
        return False
    return bool(
        session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c "
                "ON c.oid = p.partrelid WHERE c.relname = :parent "
                "AND c.relnamespace = current_schema()::regnamespace)"
            ),
            {"parent": PARENT},
        )
    )


def monthly_partitions(session: Session) -> list[Partition]:
    """The monthly partitions attached now, oldest first (the default one aside)."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": PARENT},
    )
    found = []
    for name in names:
        match = _NAME.match(name)
        if match:
            found.append(partition_of(dt.date(int(match[1]), int(match[2]), 1)))
    return sorted(found)


def create_partition(session: Session, month: dt.date) -> bool:
    """Create ``month``'s partition unless it exists, moving into it any row of that month
    the default partition caught (one transaction: no row is lost or doubled). True when
    it was created.

    Built as a plain table, filled, then attached: ``ATTACH PARTITION`` checks the rows
    and that the default partition no longer holds any of the month, and gives the new
    partition the parent's indexes."""
    part = partition_of(month)
    if part in monthly_partitions(session):
        return False
    bounds = {"start": part.start.isoformat(), "end": part.end.isoformat()}
    session.execute(
        text(f"CREATE TABLE {part.name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    session.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE received_at >= "
            "CAST(:start AS timestamptz) AND received_at < CAST(:end AS timestamptz) "
            f"RETURNING *) INSERT INTO {part.name} SELECT * FROM moved"
        ),
        bounds,
    )
    session.execute(
        text(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {part.name} "
            f"FOR VALUES FROM ('{part.start.isoformat()}') TO ('{part.end.isoformat()}')"
        )
    )
    return True


def ensure_partitions(session: Session, now: dt.datetime, *, months_ahead: int) -> dict[str, int]:
    """Scheduled job: the partitions of this month and the ``months_ahead`` next ones
    exist, and every month the default partition holds rows of gets its own partition
    (the rows moved into it). Idempotent; nothing on SQLite."""
    if months_ahead < 0:
        raise ValueError("EXPOSURE_PARTITION_MONTHS_AHEAD must be >= 0")
    if not is_partitioned(session):
        return {"partitions_created": 0}
    months = [month_start(now)]
    for _ in range(months_ahead):
        months.append(next_month(months[-1]))
    strays = session.scalars(
        text(
            f"SELECT DISTINCT CAST(date_trunc('month', received_at AT TIME ZONE 'UTC') AS date) "
            f"FROM {DEFAULT_PARTITION}"
        )
    )
    months.extend(strays)
    created = sum(create_partition(session, month) for month in sorted(set(months)))
    return {"partitions_created": created}


def default_partition_rows(session: Session, *, at_most: int = 1000) -> int:
    """How many rows the default partition holds (counted up to ``at_most``): more than 0
    means a month had no partition when its events arrived (``exposure-partitions`` has not
    run); 0 on SQLite."""
    if not is_partitioned(session):
        return 0
    return int(
        session.scalar(
            text(f"SELECT count(*) FROM (SELECT 1 FROM {DEFAULT_PARTITION} LIMIT :n) AS s"),
            {"n": at_most},
        )
        or 0
    )


def drop_partitions_before(session: Session, cutoff: dt.datetime) -> list[str]:
    """Detach and drop every monthly partition whose whole month arrived before
    ``cutoff``; the names dropped."""
    dropped = []
    for part in monthly_partitions(session):
        end = dt.datetime.combine(part.end, dt.time(), tzinfo=dt.UTC)
        if end > cutoff:
            break
        session.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {part.name}"))
        session.execute(text(f"DROP TABLE {part.name}"))
        dropped.append(part.name)
    return dropped


def comparison_filter(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's ``include_object`` hook for comparing the models with a migrated schema
    (``migrations/env.py``, ``tests/test_migrations.py``). On PostgreSQL it leaves out what
    partitioning explains: the partitions themselves, which no model describes, and the
    unique key of ``exposure_events``, which ``exposure_event_keys`` holds there (the model
    keeps it: it is SQLite's)."""

    def include(obj: object, name: str | None, type_: str, reflected: bool, _to: object) -> bool:
        if dialect != "postgresql":
            return True
        if type_ == "table" and reflected and name:
            return not (name == DEFAULT_PARTITION or _NAME.match(name))
        return not (type_ == "unique_constraint" and name == f"uq_{PARENT}_ingest_token_id")

    return include
