"""Ingestion's SQL on PostgreSQL, on the DB-API cursor (:func:`workforce.db.driver_cursor`)
in psycopg's own named parameters: lists bound as binary arrays (``%(name)b``) and joined
with ``unnest``, the raw events by binary ``COPY``, the runs and roll-ups as one
``unnest`` upsert each, sent in pipeline mode so the server applies one while Python
prepares the next.

The same functions as :mod:`.sqlite`; :func:`workforce.exposure.ingest.dialect.of` picks
one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy.orm import Session

from workforce import db
from workforce.exposure.ingest.events import EVENT_COLUMNS, Resolved, day
from workforce.exposure.models import RUN_COLUMNS

#: The binary COPY's column types (no text formatting of timestamps and numbers).
_COPY_TYPES = (
    "int4",
    "text",
    "int4",
    "int4",
    "int2",
    "text",
    "timestamptz",
    "int4",
    "int4",
    "text",
    "text",
    "timestamptz",
)


def find_contractors(session: Session, ids: list[int], refs: list[str]) -> list[Any]:
    """Contractors named by id or by external_ref: ``id, external_ref, status, timezone``."""
    # Joined to the arrays rather than ``= ANY(...)``: a parameter array is searched
    # element by element for every row scanned (5 ms a batch at 2,000 contractors).
    found = "SELECT c.id, c.external_ref, c.status, c.timezone FROM contractors c JOIN"
    with db.driver_cursor(session) as cursor:
        cursor.execute(
            f"{found} unnest(%(ids)b::int[]) AS x(id) ON c.id = x.id UNION ALL "
            f"{found} unnest(%(refs)b::varchar[]) AS x(ref) ON c.external_ref = x.ref",
            {"ids": ids, "refs": refs},
        )
        return db.named_rows(cursor)


def find_queues(session: Session, slugs: list[str]) -> list[Any]:
    """Queues by slug: ``id, slug, tier, categories``."""
    with db.driver_cursor(session) as cursor:
        cursor.execute(
            "SELECT id, slug, tier, categories FROM queues WHERE slug = ANY(%(slugs)b)",
            {"slugs": slugs},
        )
        return db.named_rows(cursor)


def insert_events(
    session: Session, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    """Insert, skipping stored (token, event_id) pairs; the event ids inserted.

    Skips the ids this token already stored (one index probe each), then COPYs the rest --
    about twice as fast as ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
    (docs/benchmarks.md). A concurrent batch with some of the same new ids that commits
    first makes the COPY fail on the unique key: then, inside a savepoint rolled back, the
    batch falls back to the conflict-skipping insert, which waits for that batch and skips
    what it stored."""
    with db.driver_cursor(session) as cursor:
        # One unique-index probe per id whatever the table's statistics say: with
        # ``event_id = ANY(...)`` a stale row estimate made the planner read every event of
        # the token instead (11 ms a batch at 60,000 events, growing with the table).
        cursor.execute(
            "SELECT x.event_id FROM unnest(%(ids)b::varchar[]) AS x(event_id) "
            "CROSS JOIN LATERAL (SELECT 1 FROM exposure_events e "
            "WHERE e.ingest_token_id = %(token)b AND e.event_id = x.event_id LIMIT 1) AS stored",
            {"ids": [e.event_id for e in events], "token": token_id},
        )
        stored = {event_id for (event_id,) in cursor}
        fresh = [e for e in events if e.event_id not in stored]
        if not fresh:
            return set()
        cursor.execute("SAVEPOINT copy_events")
        try:
            with cursor.copy(
                f"COPY exposure_events ({EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_COPY_TYPES)
                for e in fresh:
                    copy.write_row(
                        (
                            token_id,
                            e.event_id,
                            e.contractor.id,
                            e.queue_id,
                            e.tier,
                            e.category,
                            e.started_at,
                            e.duration_seconds,
                            e.items,
                            e.modality,
                            e.mitigations,
                            received_at,
                        )
                    )
        except UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT copy_events")
            return _insert_skipping_stored(cursor, token_id, fresh, received_at)
        cursor.execute("RELEASE SAVEPOINT copy_events")
        return {e.event_id for e in fresh}


def _insert_skipping_stored(
    cursor: Any, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    cursor.execute(
        f"INSERT INTO exposure_events ({EVENT_COLUMNS}) "
        "SELECT %(token)b, *, %(received)b FROM unnest(%(event_id)b::text[], "
        "%(contractor_id)b::int[], %(queue_id)b::int[], %(tier)b::smallint[], "
        "%(category)b::text[], %(started_at)b::timestamptz[], %(duration_seconds)b::int[], "
        "%(items)b::int[], %(modality)b::text[], %(mitigations)b::text[]) "
        "ON CONFLICT (ingest_token_id, event_id) DO NOTHING RETURNING event_id",
        {
            "token": token_id,
            "received": received_at,
            "event_id": [e.event_id for e in events],
            "contractor_id": [e.contractor.id for e in events],
            "queue_id": [e.queue_id for e in events],
            "tier": [e.tier for e in events],
            "category": [e.category for e in events],
            "started_at": [e.started_at for e in events],
            "duration_seconds": [e.duration_seconds for e in events],
            "items": [e.items for e in events],
            "modality": [e.modality for e in events],
            "mitigations": [e.mitigations for e in events],
        },
    )
    return {event_id for (event_id,) in cursor}


def read_runs(session: Session, ids: list[int]) -> list[Any]:
    """The ``exposure_runs`` rows of these contractors: ``contractor_id`` and
    :data:`RUN_COLUMNS`, locked: concurrent batches for one person take turns on them (in
    id order)."""
    with db.driver_cursor(session) as cursor:
        cursor.execute(
            f"SELECT contractor_id, {', '.join(RUN_COLUMNS)} FROM exposure_runs r "
            "JOIN unnest(%(ids)b::int[]) AS x(id) ON r.contractor_id = x.id "
            "ORDER BY contractor_id FOR UPDATE OF r",
            {"ids": ids},
        )
        return db.named_rows(cursor)


def upsert(
    session: Session,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    on_conflict: str,
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``: name and PostgreSQL type) into
    ``table``, resolving conflicts by ``on_conflict``: one statement, a binary array per
    column."""
    names = [name for name, _type in columns]
    arrays = ", ".join(f"%({name})b::{type_}[]" for name, type_ in columns)
    with db.driver_cursor(session) as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
            + on_conflict,
            {
                name: list(values)
                for name, values in zip(names, zip(*rows, strict=True), strict=True)
            },
        )


def local_day(number: int) -> dt.date:
    """A local day number as a ``Date`` parameter."""
    return day(number)


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """psycopg's pipeline mode, so the runs and roll-up upserts run on the server while
    Python prepares the next one (results are awaited when the block ends)."""
    with db.driver_cursor(session) as cursor, cursor.connection.pipeline():
        yield
