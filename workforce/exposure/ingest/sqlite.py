"""Ingestion's SQL on SQLite, on the DB-API cursor (:func:`workforce.db.driver_cursor`):
id lists bound as one JSON array (``json_each``), the raw events as multi-row ``VALUES``,
the runs and roll-ups as one ``executemany`` upsert each. What is written here reads back
through the ORM like rows it wrote (:func:`workforce.db.sqlite_instant`, ISO dates).

The same functions as :mod:`.postgresql`; :func:`workforce.exposure.ingest.dialect.of`
picks one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy.orm import Session

from workforce import db
from workforce.exposure.ingest.events import EVENT_COLUMNS, Resolved, day
from workforce.exposure.models import RUN_COLUMNS
from workforce.timeutil import to_us

#: SQLite binds at most 32,766 values a statement: 3,000 rows of 10 (and two shared).
ROWS_PER_STATEMENT = 3000


def find_contractors(session: Session, ids: list[int], refs: list[str]) -> list[Any]:
    """Contractors named by id or by external_ref: ``id, external_ref, status, timezone``."""
    return db.driver_rows(
        session,
        "SELECT id, external_ref, status, timezone FROM contractors "
        "WHERE id IN (SELECT value FROM json_each(:ids)) UNION ALL "
        "SELECT id, external_ref, status, timezone FROM contractors "
        "WHERE external_ref IN (SELECT value FROM json_each(:refs))",
        ids=json.dumps(ids),
        refs=json.dumps(refs),
    )


def find_queues(session: Session, slugs: list[str]) -> list[Any]:
    """Queues by slug: ``id, slug, tier, categories``."""
    return db.driver_rows(
        session,
        "SELECT id, slug, tier, categories FROM queues "
        "WHERE slug IN (SELECT value FROM json_each(:slugs))",
        slugs=json.dumps(slugs),
    )


def insert_events(
    session: Session, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    """Insert, skipping stored (token, event_id) pairs (``ON CONFLICT DO NOTHING``); the
    event ids inserted, as ``RETURNING`` gives them."""
    inserted: set[str] = set()
    received = db.sqlite_instant(to_us(received_at))
    instant = db.sqlite_instant
    with db.driver_cursor(session) as cursor:
        for start in range(0, len(events), ROWS_PER_STATEMENT):
            chunk = events[start : start + ROWS_PER_STATEMENT]
            flat: list[Any] = []
            for e in chunk:
                flat += (
                    e.event_id,
                    e.contractor.id,
                    e.queue_id,
                    e.tier,
                    e.category,
                    instant(e.start_us),
                    e.duration_seconds,
                    e.items,
                    e.modality,
                    e.mitigations,
                )
            # A generated statement, so its values are bound by position: the token and the
            # arrival instant once (?1, ?2: the same for every row), then each row's ten.
            cursor.execute(
                f"INSERT INTO exposure_events ({EVENT_COLUMNS}) "
                "SELECT ?1, column1, column2, column3, column4, column5, column6, column7, "
                "column8, column9, column10, ?2 "
                f"FROM (VALUES {','.join(['(?,?,?,?,?,?,?,?,?,?)'] * len(chunk))}) "
                "WHERE true ON CONFLICT (ingest_token_id, event_id) DO NOTHING "
                "RETURNING event_id",
                (token_id, received, *flat),
            )
            inserted.update(event_id for (event_id,) in cursor)
    return inserted


def read_runs(session: Session, ids: list[int]) -> list[Any]:
    """The ``exposure_runs`` rows of these contractors: ``contractor_id`` and
    :data:`RUN_COLUMNS` (the write transaction already excludes other writers)."""
    return db.driver_rows(
        session,
        f"SELECT contractor_id, {', '.join(RUN_COLUMNS)} FROM exposure_runs "
        "WHERE contractor_id IN (SELECT value FROM json_each(:ids))",
        ids=json.dumps(ids),
    )


def upsert(
    session: Session,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    on_conflict: str,
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``: name and PostgreSQL type) into
    ``table``, resolving conflicts by ``on_conflict``; one ``executemany``."""
    names = ", ".join(name for name, _type in columns)
    marks = ", ".join("?" * len(columns))  # each row's values, by position
    with db.driver_cursor(session) as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {on_conflict}", rows)


def local_day(number: int) -> str:
    """A local day number as a ``Date`` column stores it: ISO text."""
    return day(number).isoformat()


def pipelined(session: Session) -> AbstractContextManager[Any]:
    """SQLite runs every statement where it is issued: nothing to pipeline."""
    return nullcontext()
