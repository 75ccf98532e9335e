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

    The keys go first into ``exposure_event_keys`` (``ON CONFLICT DO NOTHING RETURNING``:
    the keys that were new), then the events of those keys by binary ``COPY`` into
    ``exposure_events`` (partitioned by month: :mod:`workforce.exposure.partitions`), which
    has no unique index of its own. A concurrent batch with some of the same new ids waits
    on their keys until it commits (then they are skipped) or rolls back (then they are
    ours); the ids arrive sorted, so two batches take those key locks in the same order."""
    with db.driver_cursor(session) as cursor:
        cursor.execute(
            "INSERT INTO exposure_event_keys (ingest_token_id, event_id, received_at) "
            "SELECT %(token)b, x.event_id, %(received)b "
            "FROM unnest(%(ids)b::varchar[]) AS x(event_id) "
            "ON CONFLICT DO NOTHING RETURNING event_id",
            {"ids": [e.event_id for e in events], "token": token_id, "received": received_at},
        )
        new = {event_id for (event_id,) in cursor}
        if not new:
            return new
        with cursor.copy(
            f"COPY exposure_events ({EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_COPY_TYPES)
            for e in events:
                if e.event_id in new:
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
        return new


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
