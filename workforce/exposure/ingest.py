"""Exposure events: fast, idempotent ingestion and the roll-ups every rule reads.

Moderation platforms post batches of up to 5,000 events. A batch is validated as a whole
(one bad event rejects it, naming ``events.<index>.<field>``), then in one transaction:

1. the raw events go in skipping any ``(ingest token, event_id)`` already stored (SQLite:
   ``INSERT ... ON CONFLICT DO NOTHING RETURNING``; PostgreSQL: ``COPY`` of the ids not
   found stored, see :func:`_copy_events`), so a retried batch, whole or partial, adds
   nothing twice;
2. the contractor's current *run* of continuous exposure is extended (:class:`ExposureRun`),
   noting the breaks that fall due and those cut short (below), and its ``changes``
   count moves (the rotation sweep measures again only those whose count moved);
3. only the events really inserted are rolled up: seconds, items, events and
   break counts per contractor x local day x tier x category x queue
   (:class:`ExposureDaily`), with one upsert per group (``seconds = seconds +
   excluded.seconds``); an event that crosses the contractor's local midnight is split
   between the two days; the same seconds and break counts summed per contractor x local
   day (:class:`ContractorDay`, what the exposure report reads when no tier, category or
   queue divides a day: a tenth of the rows).

Nothing here creates one ORM object per event: the hot path is plain tuples and
dialect-specific bulk SQL (a multi-row ``VALUES`` on SQLite; on PostgreSQL binary
``COPY``, ``unnest`` of binary arrays, and the runs and roll-up writes in pipeline mode, so
the server applies one upsert while Python prepares the next). Eligibility, the exposure
view, rotations and reports read the roll-ups and runs, never the raw events.

**Runs (the continuous-exposure rule).** For each policy tier t with a continuous limit, a
run is exposure at tier t *and above* whose gaps are all shorter than tier t's break. A new
event that starts at least one break after the run's end starts a new run; one that overlaps
or comes within a break of the run extends it; one that ended at least a break before the
run started belongs to an older run and leaves the current one alone (late events do not
rewrite history). Gaps use the break of the policy in force when the batch is ingested.

**Breaks due and missed (break compliance).** When an event brings a tier-t run to tier t's
continuous limit (run end - run start >= the limit), a break is due from the run's end E
until E + tier t's break: ``breaks_due`` of that event's roll-up row counts one. The first
later event of the same run that has exposure after E (its end > E; it joins the run, so it
starts before E + break) cuts the break short: ``breaks_missed`` of *its* row counts one, and
no further break falls due in that run. At most one break per tier per run; a tier-3 event
can make the breaks of tiers 1, 2 and 3 due at once. docs/reports.md has the definition the
report uses (share taken = 1 - missed / due).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from psycopg.errors import UniqueViolation
from sqlalchemy import (
    BigInteger,
    case,
    cast,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.errors import InvalidInput
from workforce.exposure.models import EVENT_ID_MAX, ContractorDay, ExposureDaily
from workforce.exposure.policy import POLICY_TIERS, Policy, current_policy
from workforce.harm import HARM_CATEGORIES
from workforce.timeutil import from_us, split_by_windows, to_us

MAX_EVENTS = 5000
MAX_DURATION_SECONDS = 4 * 3600
MAX_FUTURE = dt.timedelta(minutes=5)
#: Events before this are refused as implausible (and keep date arithmetic in range).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_ITEMS = 100_000
REF_MAX = 100
#: At most this many field errors are listed in a 422 (the rest are counted in ``detail``).
MAX_REPORTED_ERRORS = 100
EVENT_FIELDS = frozenset(
    {
        "event_id",
        "contractor_id",
        "contractor_ref",
        "queue",
        "category",
        "started_at",
        "duration_seconds",
        "items",
    }
)
MAX_ID = 2**31 - 1
_ABSENT: Any = object()
_CATEGORIES = frozenset(HARM_CATEGORIES)
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)")
_FRACTION = re.compile(r"(\.\d{6})\d+")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_EARLIEST_US = (EARLIEST - _EPOCH) // _US
DAY_US = 86_400_000_000
SECOND_US = 1_000_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


# --- validation -------------------------------------------------------------------------

#: Builds a NamedTuple from a tuple in C: the class's own ``__new__`` is a Python call, and
#: the hot path makes thousands of these a request.
_make: Any = tuple.__new__


class ParsedEvent(NamedTuple):
    position: int
    event_id: str
    contractor_id: int | None
    contractor_ref: str | None
    queue: str
    category: str | None
    started_at: dt.datetime
    start_us: int
    duration_seconds: int
    items: int


class _Errors:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.count = 0

    def add(self, index: int, field: str, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_REPORTED_ERRORS:
            key = f"events.{index}.{field}" if field else f"events.{index}"
            self.found.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self.count:
            first, messages = next(iter(self.found.items()))
            more = f" ({self.count} problems in all)" if self.count > 1 else ""
            raise InvalidInput(
                self.found, f"{first}: {messages[0]}{more}; no event of the batch was stored"
            )


def parse_timestamp(value: object) -> dt.datetime | None:
    """An RFC 3339 instant with its offset (as given); ``None`` if it is not one."""
    if type(value) is not str or not _RFC3339.fullmatch(value):
        return None
    text = value.upper()
    if len(text) > 32:
        text = _FRACTION.sub(r"\1", text)  # fromisoformat keeps at most microseconds
    try:
        parsed = dt.datetime.fromisoformat(text)
        parsed - _EPOCH  # an offset that takes the instant out of range raises here
    except (ValueError, OverflowError):
        return None
    return parsed


def validate_events(events: object, now: dt.datetime) -> list[ParsedEvent]:
    """Shape and range checks of a whole batch, without the database; all or nothing.

    Hand-written rather than a marshmallow schema: this runs 5,000 times a request and is
    several times faster (see docs/benchmarks.md); the OpenAPI document still describes
    every field through the API's schema.
    """
    if not isinstance(events, list):
        raise InvalidInput.field("events", "must be a list of events")
    if not events:
        raise InvalidInput.field("events", "must hold at least one event")
    if len(events) > MAX_EVENTS:
        raise InvalidInput.field("events", f"at most {MAX_EVENTS} events per request")
    errors = _Errors()
    parsed: list[ParsedEvent] = []
    latest = (now + MAX_FUTURE - _EPOCH) // _US
    for index, raw in enumerate(events):
        # Fast path: a well-formed event passes one combined test. Anything else takes the
        # slow path below, which names every problem.
        if type(raw) is dict and raw.keys() <= EVENT_FIELDS:
            event_id: Any = raw.get("event_id")
            queue: Any = raw.get("queue")
            duration: Any = raw.get("duration_seconds")
            items: Any = raw.get("items", 1)
            contractor_id: Any = raw.get("contractor_id")
            contractor_ref: Any = raw.get("contractor_ref")
            category: Any = raw.get("category", _ABSENT)
            started: Any = raw.get("started_at")
            if (
                type(event_id) is str
                and 0 < len(event_id) <= EVENT_ID_MAX
                and type(queue) is str
                and 0 < len(queue) <= 64
                and type(duration) is int
                and 0 <= duration <= MAX_DURATION_SECONDS
                and type(items) is int
                and 0 <= items <= MAX_ITEMS
                and (
                    (
                        type(contractor_id) is int
                        and 0 < contractor_id <= MAX_ID
                        and "contractor_ref" not in raw
                    )
                    or (
                        type(contractor_ref) is str
                        and 0 < len(contractor_ref) <= REF_MAX
                        and "contractor_id" not in raw
                    )
                )
                and (category is _ABSENT or (type(category) is str and category in _CATEGORIES))
                and type(started) is str
                and _RFC3339.fullmatch(started)
            ):
                started_at: dt.datetime | None = None
                try:
                    started_at = dt.datetime.fromisoformat(
                        started if len(started) <= 32 else _FRACTION.sub(r"\1", started)
                    )
                    start_us = (started_at - _EPOCH) // _US
                except (ValueError, OverflowError):
                    start_us = None
                if started_at and start_us is not None and _EARLIEST_US <= start_us <= latest:
                    parsed.append(
                        _make(
                            ParsedEvent,
                            (
                                index,
                                event_id,
                                contractor_id,
                                contractor_ref,
                                queue,
                                None if category is _ABSENT else category,
                                started_at,
                                start_us,
                                duration,
                                items,
                            ),
                        )
                    )
                    continue
        if type(raw) is not dict:
            errors.add(index, "", "must be an object")
            continue
        if not raw.keys() <= EVENT_FIELDS:
            for name in sorted(set(raw) - EVENT_FIELDS, key=str)[:5]:
                errors.add(index, str(name)[:64], "unknown field")
        ok = True
        event_id = raw.get("event_id")
        if type(event_id) is not str or not 0 < len(event_id) <= EVENT_ID_MAX:
            errors.add(index, "event_id", f"required: a string of 1 to {EVENT_ID_MAX} characters")
            ok = False
        # Present-but-null is an error like any other wrong type: only absence means "none".
        contractor_id = raw.get("contractor_id", _ABSENT)
        contractor_ref = raw.get("contractor_ref", _ABSENT)
        if contractor_id is not _ABSENT:
            if contractor_ref is not _ABSENT:
                errors.add(index, "contractor_id", "give contractor_id or contractor_ref, not both")
                ok = False
            elif type(contractor_id) is not int or not 0 < contractor_id <= MAX_ID:
                errors.add(index, "contractor_id", "must be a positive integer id")
                ok = False
            contractor_ref = None
        elif contractor_ref is not _ABSENT:
            if type(contractor_ref) is not str or not 0 < len(contractor_ref) <= REF_MAX:
                errors.add(
                    index, "contractor_ref", f"must be a string of 1 to {REF_MAX} characters"
                )
                ok = False
            contractor_id = None
        else:
            errors.add(index, "contractor_id", "required: contractor_id or contractor_ref")
            ok = False
        queue = raw.get("queue")
        if type(queue) is not str or not 0 < len(queue) <= 64:
            errors.add(index, "queue", "required: the queue's slug")
            ok = False
        category = raw.get("category")
        if "category" in raw and (type(category) is not str or category not in _CATEGORIES):
            errors.add(index, "category", "must be one of the harm categories")
            ok = False
        checked = parse_timestamp(raw.get("started_at"))
        start_us = 0
        if checked is None:
            errors.add(index, "started_at", "required: an RFC 3339 date-time with a UTC offset")
            ok = False
        else:
            start_us = (checked - _EPOCH) // _US
            if start_us > latest:
                errors.add(index, "started_at", "more than 5 minutes in the future")
                ok = False
            elif start_us < _EARLIEST_US:
                errors.add(index, "started_at", "before 2000-01-01")
                ok = False
        duration = raw.get("duration_seconds")
        if type(duration) is not int or not 0 <= duration <= MAX_DURATION_SECONDS:
            errors.add(
                index, "duration_seconds", f"required: an integer from 0 to {MAX_DURATION_SECONDS}"
            )
            ok = False
        items = raw.get("items", 1)
        if type(items) is not int or not 0 <= items <= MAX_ITEMS:
            errors.add(index, "items", f"must be an integer from 0 to {MAX_ITEMS}")
            ok = False
        if ok:
            parsed.append(
                ParsedEvent(
                    index,
                    event_id,
                    contractor_id,
                    contractor_ref,
                    queue,
                    category,
                    checked,  # type: ignore[arg-type]
                    start_us,
                    duration,
                    items,
                )
            )
    errors.raise_if_any()
    return parsed


class _ContractorInfo(NamedTuple):
    id: int
    status: str
    zone: ZoneInfo


class _QueueInfo(NamedTuple):
    id: int
    tier: int
    categories: frozenset[str]


class Resolved(NamedTuple):
    """An event ready to store: ids resolved, tier from the queue, times in microseconds."""

    event_id: str
    contractor: _ContractorInfo
    queue_id: int
    tier: int
    category: str | None
    started_at: dt.datetime
    start_us: int
    duration_seconds: int
    items: int


def _cursor(session: Session) -> Any:
    """A DB-API cursor on the session's connection, inside its transaction: the hot path
    skips SQLAlchemy's per-row result processing, which would cost more than the SQL."""
    return session.connection().connection.cursor()


def _pipelined(session: Session) -> AbstractContextManager[Any]:
    """PostgreSQL: psycopg's pipeline mode, so the roll-up upserts run on the server while
    Python prepares the next one (results are awaited when the block ends)."""
    if not _is_postgres(session):
        return nullcontext()
    connection = session.connection().connection.driver_connection
    assert connection is not None  # a live connection: the session has begun
    return connection.pipeline()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _marks(n: int) -> str:
    return ",".join("?" * n)


def resolve(session: Session, events: Sequence[ParsedEvent]) -> list[Resolved]:
    """Contractors (by id or external_ref) and queues (by slug), one query each; every
    event that names something unknown, an offboarded contractor, or a category its queue
    does not carry is an error, and then the batch is refused."""
    ids = list({e.contractor_id for e in events if e.contractor_id is not None})
    refs = list({e.contractor_ref for e in events if e.contractor_ref is not None})
    slugs = list({e.queue for e in events})
    postgres = _is_postgres(session)
    cursor = _cursor(session)
    if postgres:
        # Joined to the arrays rather than ``= ANY(%b)``: a parameter array is searched
        # element by element for every row scanned (5 ms a batch at 2,000 contractors).
        found = "SELECT c.id, c.external_ref, c.status, c.timezone FROM contractors c JOIN"
        cursor.execute(
            f"{found} unnest(%b::int[]) AS x(id) ON c.id = x.id UNION ALL "
            f"{found} unnest(%b::varchar[]) AS x(ref) ON c.external_ref = x.ref",
            (ids, refs),
        )
    else:
        columns = "SELECT id, external_ref, status, timezone FROM contractors"
        cursor.execute(
            f"{columns} WHERE id IN ({_marks(len(ids))}) "
            f"UNION ALL {columns} WHERE external_ref IN ({_marks(len(refs))})",
            (*ids, *refs),
        )
    by_id: dict[int, _ContractorInfo] = {}
    by_ref: dict[str, _ContractorInfo] = {}
    for cid, ref, status, tz in cursor.fetchall():
        info = _make(_ContractorInfo, (cid, status, ZoneInfo(tz)))
        by_id[cid] = info
        if ref is not None:
            by_ref[ref] = info
    if postgres:
        cursor.execute(
            "SELECT id, slug, tier, categories FROM queues WHERE slug = ANY(%b)", (slugs,)
        )
    else:
        cursor.execute(
            f"SELECT id, slug, tier, categories FROM queues WHERE slug IN ({_marks(len(slugs))})",
            slugs,
        )
    queues = {}
    for qid, slug, tier, categories in cursor.fetchall():
        if isinstance(categories, str):
            categories = json.loads(categories)
        queues[slug] = _QueueInfo(qid, tier, frozenset(categories or ()))
    cursor.close()
    errors = _Errors()
    out: list[Resolved] = []
    append = out.append
    # Plain tuple unpacking and local lookups: this loop runs for every event.
    for pos, event_id, cid, ref, slug, category, started_at, start_us, seconds, items in events:
        if cid is not None:
            contractor = by_id.get(cid)
            field = "contractor_id"
        else:
            contractor = by_ref.get(ref)  # type: ignore[arg-type]
            field = "contractor_ref"
        queue = queues.get(slug)
        if (
            contractor is not None
            and queue is not None
            and contractor.status != "offboarded"
            and (category in queue.categories if queue.tier else category is None)
        ):
            append(
                _make(
                    Resolved,
                    (
                        event_id,
                        contractor,
                        queue.id,
                        queue.tier,
                        category,
                        started_at,
                        start_us,
                        seconds,
                        items,
                    ),
                )
            )
            continue
        if contractor is None:
            errors.add(pos, field, "no such contractor")
        elif contractor.status == "offboarded":
            errors.add(pos, field, "the contractor is offboarded")
        if queue is None:
            errors.add(pos, "queue", f"no queue has the slug '{slug[:64]}'")
        elif queue.tier == 0:
            if category is not None:
                errors.add(pos, "category", "a tier 0 queue carries no harm category")
        elif category is None:
            errors.add(pos, "category", "required for a queue of tier 1 to 3")
        elif category not in queue.categories:
            errors.add(pos, "category", f"the queue '{slug}' does not carry {category}")
    errors.raise_if_any()
    return out


# --- bulk SQL ---------------------------------------------------------------------------

_EVENT_COLUMNS = (
    "ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at, "
    "duration_seconds, items, received_at"
)
#: SQLite allows 32,766 bound values a statement: 3,000 rows of 10.
_SQLITE_ROWS_PER_STATEMENT = 3000
_DAY_PREFIX: dict[int, str] = {}


def sqlite_text(us: int) -> str:
    """The text SQLAlchemy's SQLite DateTime stores for an instant (naive UTC with
    microseconds), so rows written here read back through the ORM like rows written by it."""
    day, rem = divmod(us, DAY_US)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        if len(_DAY_PREFIX) > 100_000:
            _DAY_PREFIX.clear()
        prefix = _DAY_PREFIX[day] = dt.date.fromordinal(day + _EPOCH_ORDINAL).isoformat() + " "
    seconds, micro = divmod(rem, SECOND_US)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}"


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
    "timestamptz",
)


def _copy_events(
    session: Session, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    """PostgreSQL: skip the ids this token already stored (one index probe each), then COPY
    the rest -- about twice as fast as ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
    (docs/benchmarks.md). A concurrent batch with some of the same new ids that commits
    first makes the COPY fail on the unique key: then, inside a savepoint rolled back, the
    batch falls back to the conflict-skipping insert, which waits for that batch and skips
    what it stored."""
    cursor = _cursor(session)
    try:
        # One unique-index probe per id whatever the table's statistics say: with
        # ``event_id = ANY(...)`` a stale row estimate made the planner read every event of
        # the token instead (11 ms a batch at 60,000 events, growing with the table).
        cursor.execute(
            "SELECT x.event_id FROM unnest(%b::varchar[]) AS x(event_id) CROSS JOIN LATERAL "
            "(SELECT 1 FROM exposure_events e WHERE e.ingest_token_id = %b "
            "AND e.event_id = x.event_id LIMIT 1) AS stored",
            ([e.event_id for e in events], token_id),
        )
        stored = {row[0] for row in cursor.fetchall()}
        fresh = [e for e in events if e.event_id not in stored]
        if not fresh:
            return set()
        cursor.execute("SAVEPOINT copy_events")
        try:
            with cursor.copy(
                f"COPY exposure_events ({_EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
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
                            received_at,
                        )
                    )
        except UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT copy_events")
            return _insert_skipping_stored(cursor, token_id, fresh, received_at)
        cursor.execute("RELEASE SAVEPOINT copy_events")
        return {e.event_id for e in fresh}
    finally:
        cursor.close()


def _insert_skipping_stored(
    cursor: Any, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    cursor.execute(
        f"INSERT INTO exposure_events ({_EVENT_COLUMNS}) "
        "SELECT %b, *, %b FROM unnest(%b::text[], %b::int[], %b::int[], %b::smallint[], "
        "%b::text[], %b::timestamptz[], %b::int[], %b::int[]) "
        "ON CONFLICT (ingest_token_id, event_id) DO NOTHING RETURNING event_id",
        (
            token_id,
            received_at,
            [e.event_id for e in events],
            [e.contractor.id for e in events],
            [e.queue_id for e in events],
            [e.tier for e in events],
            [e.category for e in events],
            [e.started_at for e in events],
            [e.duration_seconds for e in events],
            [e.items for e in events],
        ),
    )
    return {row[0] for row in cursor.fetchall()}


def _insert_events(
    session: Session, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    """Insert, skipping stored (token, event_id) pairs; returns the event ids inserted."""
    if _is_postgres(session):
        return _copy_events(session, token_id, events, received_at)
    cursor = _cursor(session)
    inserted: set[str] = set()
    received = sqlite_text(to_us(received_at))
    for start in range(0, len(events), _SQLITE_ROWS_PER_STATEMENT):
        chunk = events[start : start + _SQLITE_ROWS_PER_STATEMENT]
        flat: list[Any] = []
        for e in chunk:
            flat += (
                e.event_id,
                e.contractor.id,
                e.queue_id,
                e.tier,
                e.category,
                sqlite_text(e.start_us),
                e.duration_seconds,
                e.items,
            )
        # The token and the arrival instant are the same for every row: bound once.
        cursor.execute(
            f"INSERT INTO exposure_events ({_EVENT_COLUMNS}) "
            f"SELECT ?1, column1, column2, column3, column4, column5, column6, column7, "
            f"column8, ?2 FROM (VALUES {','.join(['(?,?,?,?,?,?,?,?)'] * len(chunk))}) "
            "WHERE true ON CONFLICT (ingest_token_id, event_id) DO NOTHING RETURNING event_id",
            (token_id, received, *flat),
        )
        inserted.update(row[0] for row in cursor.fetchall())
    cursor.close()
    return inserted


#: (contractor, local day number, tier, category, queue)
DailyKey = tuple[int, int, int, str, int]
_OFFSET_BUCKET_US = 15 * 60 * SECOND_US
_OFFSETS: dict[tuple[str, int], int | None] = {}


def _offset_us(zone: ZoneInfo, us: int) -> int | None:
    """The zone's UTC offset at ``us`` from a cache of 15-minute buckets; ``None`` when an
    offset change falls inside the bucket (then the caller computes exactly)."""
    bucket = us // _OFFSET_BUCKET_US
    key = (zone.key, bucket)
    try:
        return _OFFSETS[key]
    except KeyError:
        pass
    if len(_OFFSETS) > 200_000:
        _OFFSETS.clear()
    first = from_us(bucket * _OFFSET_BUCKET_US).astimezone(zone).utcoffset()
    last = from_us((bucket + 1) * _OFFSET_BUCKET_US - 1).astimezone(zone).utcoffset()
    value = None if first != last or first is None else first // _US
    _OFFSETS[key] = value
    return value


def local_pieces(start_us: int, seconds: int, zone: ZoneInfo) -> Sequence[tuple[int, int]]:
    """``(local day number, seconds)`` of an event; days count from 1970-01-01. One piece
    unless the event crosses the contractor's local midnight (or an offset change), where
    :func:`workforce.timeutil.split_by_windows` cuts it exactly."""
    end_us = start_us + seconds * SECOND_US
    offset = _offset_us(zone, start_us)
    if offset is not None and offset == _offset_us(zone, end_us):
        day = (start_us + offset) // DAY_US
        last = (end_us + offset - 1) // DAY_US if seconds else day
        if day == last:
            return ((day, seconds),)
    start = from_us(start_us)
    pieces = [
        (seg.local_date.toordinal() - _EPOCH_ORDINAL, seg.seconds)
        for seg in split_by_windows(start, from_us(end_us), zone, None, None)
        if seg.seconds
    ]
    return pieces or ((start.astimezone(zone).date().toordinal() - _EPOCH_ORDINAL, 0),)


def aggregate_daily(events: Iterable[Resolved]) -> dict[DailyKey, list[int]]:
    """Roll events up in memory: (contractor, local day number, tier, category, queue) ->
    [seconds, items, events, breaks due, breaks missed] (the break counts are added by
    :func:`add_breaks`). Items and the event count go to the day the event started; seconds
    are split at local midnight."""
    groups: dict[DailyKey, list[int]] = {}
    offsets = _OFFSETS
    for _event_id, contractor, queue_id, tier, category, _at, start_us, seconds, items in events:
        if tier == 0:
            continue
        cid, zone, category = contractor.id, contractor.zone, category or ""
        # local_pieces()'s common case inlined: no offset change, no midnight inside.
        end_us = start_us + seconds * SECOND_US
        offset = offsets.get((zone.key, start_us // _OFFSET_BUCKET_US))
        if offset is not None and offset == offsets.get((zone.key, end_us // _OFFSET_BUCKET_US)):
            day = (start_us + offset) // DAY_US
            if not seconds or (end_us + offset - 1) // DAY_US == day:
                key = (cid, day, tier, category, queue_id)
                group = groups.get(key)
                if group is None:
                    groups[key] = [seconds, items, 1, 0, 0]
                else:
                    group[0] += seconds
                    group[1] += items
                    group[2] += 1
                continue
        first = True
        for day, piece in local_pieces(start_us, seconds, zone):
            key = (cid, day, tier, category, queue_id)
            group = groups.get(key)
            if group is None:
                group = groups[key] = [0, 0, 0, 0, 0]
            group[0] += piece
            if first:
                group[1] += items
                group[2] += 1
                first = False
    return groups


def add_breaks(
    groups: dict[DailyKey, list[int]], events: Sequence[Resolved], breaks: dict[int, list[int]]
) -> None:
    """Add ``breaks`` (index in ``events`` -> [due, missed], from :func:`_update_runs`) to
    the row of each event's first local day, where its items and count went."""
    for index, (due, missed) in breaks.items():
        e = events[index]
        day = local_pieces(e.start_us, e.duration_seconds, e.contractor.zone)[0][0]
        key = (e.contractor.id, day, e.tier, e.category or "", e.queue_id)
        group = groups.setdefault(key, [0, 0, 0, 0, 0])
        group[3] += due
        group[4] += missed


def _day(number: int) -> dt.date:
    return dt.date.fromordinal(number + _EPOCH_ORDINAL)


def _add_rows(
    session: Session, table: str, columns: Sequence[tuple[str, str]], key: int, rows: list[Any]
) -> None:
    """Upsert ``rows`` (tuples in ``columns`` order, sorted: one lock order for every writer
    on PostgreSQL) into ``table``, adding their counters to a stored row's. ``columns``:
    (name, PostgreSQL type), the first ``key`` of them the conflict key."""
    if not rows:
        return
    names = [name for name, _type in columns]
    insert_into = f"INSERT INTO {table} ({', '.join(names)}) "
    update = f" ON CONFLICT ({', '.join(names[:key])}) DO UPDATE SET " + ", ".join(
        f"{name} = {table}.{name} + excluded.{name}" for name in names[key:]
    )
    cursor = _cursor(session)
    if _is_postgres(session):
        arrays = ", ".join(f"%b::{type_}[]" for _name, type_ in columns)
        cursor.execute(
            f"{insert_into}SELECT * FROM unnest({arrays}){update}",
            [list(column) for column in zip(*rows, strict=True)],
        )
    else:
        cursor.executemany(f"{insert_into}VALUES ({_marks(len(names))}){update}", rows)
    cursor.close()


def _day_param(session: Session) -> Callable[[int], Any]:
    """A local day number as the driver takes it: a date on PostgreSQL, text on SQLite."""
    return _day if _is_postgres(session) else lambda number: _day(number).isoformat()


_DAILY_COLUMNS = (
    ("contractor_id", "int"),
    ("local_day", "date"),
    ("tier", "smallint"),
    ("category", "text"),
    ("queue_id", "int"),
    ("seconds", "bigint"),
    ("items", "bigint"),
    ("events", "int"),
    ("breaks_due", "int"),
    ("breaks_missed", "int"),
)


def _upsert_daily(session: Session, groups: dict[DailyKey, list[int]]) -> None:
    day = _day_param(session)
    rows = [(k[0], day(k[1]), k[2], k[3], k[4], *groups[k]) for k in sorted(groups)]
    _add_rows(session, "exposure_daily", _DAILY_COLUMNS, 5, rows)


_DAY_COLUMNS = (
    ("local_day", "date"),
    ("contractor_id", "int"),
    *((f"tier{t}_seconds", "bigint") for t in POLICY_TIERS),
    ("breaks_due", "int"),
    ("breaks_missed", "int"),
)


def _upsert_contractor_days(session: Session, groups: dict[DailyKey, list[int]]) -> None:
    """Add the batch's roll-up groups, summed per contractor x local day, to
    :class:`ContractorDay` (as :func:`contractor_day_sums` sums them)."""
    days: dict[tuple[int, int], list[int]] = {}
    last = len(POLICY_TIERS)
    for (cid, day, tier, _category, _queue), (seconds, _i, _e, due, missed) in groups.items():
        row = days.get((day, cid))
        if row is None:
            row = days[(day, cid)] = [0] * (last + 2)
        for t in POLICY_TIERS:  # seconds at tier t and above, as a tier-t cap counts them
            if tier >= t:
                row[t - 1] += seconds
        row[last] += due
        row[last + 1] += missed
    to_day = _day_param(session)
    rows = [(to_day(day), cid, *days[(day, cid)]) for day, cid in sorted(days)]
    _add_rows(session, "contractor_days", _DAY_COLUMNS, 2, rows)


def contractor_day_sums() -> list[Any]:
    """:class:`ExposureDaily` rows summed as :class:`ContractorDay`'s counters (SQL, for a
    ``GROUP BY`` of contractor and local day): seconds at each policy tier *and above*,
    as a tier-t cap counts them, then breaks due and missed. PostgreSQL sums BIGINT to
    NUMERIC: cast back, or every value is a Decimal."""
    d = ExposureDaily
    return [
        *(
            cast(func.sum(case((d.tier >= t, d.seconds), else_=0)), BigInteger).label(
                f"tier{t}_seconds"
            )
            for t in POLICY_TIERS
        ),
        cast(func.sum(d.breaks_due), BigInteger).label("breaks_due"),
        cast(func.sum(d.breaks_missed), BigInteger).label("breaks_missed"),
    ]


def rebuild_contractor_days(session: Session) -> None:
    """Recompute :class:`ContractorDay` from :class:`ExposureDaily` (for roll-ups written
    other than by :func:`ingest`: benchmarks, fixtures)."""
    session.execute(delete(ContractorDay))
    d = ExposureDaily
    totals = select(d.local_day, d.contractor_id, *contractor_day_sums()).group_by(
        d.local_day, d.contractor_id
    )
    session.execute(
        insert(ContractorDay).from_select([name for name, _type in _DAY_COLUMNS], totals)
    )


def extend_run(
    state: tuple[int, int] | None, intervals: Iterable[tuple[int, int]], gap: int
) -> tuple[int, int] | None:
    """Fold exposure intervals (sorted by start; any unit) into the current run
    ``(start, end)`` (module docstring). The plain statement of the rule: ``_update_runs``
    inlines the same steps for every tier at once, and the tests hold both to a recount."""
    for start, end in intervals:
        if state is None or start >= state[1] + gap:
            state = (start, end)
        elif end + gap <= state[0]:
            continue  # an older run's event, reported late
        else:
            state = (min(start, state[0]), max(end, state[1]))
    return state


RUN_COLUMNS = (
    "tier1_start_us, tier1_end_us, tier2_start_us, tier2_end_us, tier3_start_us, tier3_end_us, "
    "tier1_due_us, tier2_due_us, tier3_due_us"
)


def _update_runs(
    session: Session, events: Sequence[Resolved], policy: Policy
) -> dict[int, list[int]]:
    """Extend the runs; returns the breaks that fell due or were cut short, as index in
    ``events`` -> [due, missed] (module docstring)."""
    tracked = [t for t in POLICY_TIERS if policy.tier(t).continuous_limit_minutes]
    by_contractor: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for index, e in enumerate(events):
        if e.tier >= 1:
            by_contractor[e.contractor.id].append(
                (e.start_us, e.start_us + e.duration_seconds * SECOND_US, e.tier, index)
            )
    breaks: dict[int, list[int]] = {}
    if not by_contractor:
        return breaks
    ids = sorted(by_contractor)
    postgres = _is_postgres(session)
    cursor = _cursor(session)
    current: dict[int, tuple[Any, ...]] = {}
    if postgres:
        # Concurrent batches for one person take turns on these rows (in id order).
        cursor.execute(
            f"SELECT contractor_id, {RUN_COLUMNS} FROM exposure_runs r "
            "JOIN unnest(%b::int[]) AS x(id) ON r.contractor_id = x.id "
            "ORDER BY contractor_id FOR UPDATE OF r",
            (ids,),
        )
        current = {row[0]: row[1:] for row in cursor.fetchall()}
    else:
        for chunk in range(0, len(ids), _SQLITE_ROWS_PER_STATEMENT):
            part = ids[chunk : chunk + _SQLITE_ROWS_PER_STATEMENT]
            cursor.execute(
                f"SELECT contractor_id, {RUN_COLUMNS} FROM exposure_runs "
                f"WHERE contractor_id IN ({_marks(len(part))})",
                part,
            )
            current.update((row[0], row[1:]) for row in cursor.fetchall())
    # extend_run(), inlined for all tracked tiers in one pass over each person's events
    # (this loop runs for every event ingested), with the breaks due and missed.
    plan = [
        (
            t,
            2 * (t - 1),
            5 + t,
            policy.break_seconds(t) * SECOND_US,
            (policy.tier(t).continuous_limit_minutes or 0) * 60 * SECOND_US,
        )
        for t in tracked
    ]
    rows = []
    empty = (None,) * 9
    for cid in ids:
        before = current.get(cid, empty)
        state = list(before)
        for start, end, tier, index in sorted(by_contractor[cid]):
            for t, i, d, gap, limit in plan:
                if tier < t:
                    break
                run_start = state[i]
                if run_start is None or start >= state[i + 1] + gap:
                    state[i], state[i + 1], state[d] = start, end, None
                elif end + gap > run_start:
                    if start < run_start:
                        state[i] = start
                    due = state[d]
                    if due is not None and 0 < due < end:  # exposure during a due break
                        state[d] = -due
                        breaks.setdefault(index, [0, 0])[1] += 1
                    if end > state[i + 1]:
                        state[i + 1] = end
                else:
                    continue  # an older run's event, reported late
                if state[d] is None and state[i + 1] - state[i] >= limit:
                    state[d] = state[i + 1]
                    breaks.setdefault(index, [0, 0])[0] += 1
        rows.append((cid, *state))
    # Every row is written, changed or not: ``changes`` tells the rotation sweep whose
    # roll-ups moved since it last measured them (a late event can add to a day's total
    # without moving the run).
    assignments = ", ".join(f"{name} = excluded.{name}" for name in RUN_COLUMNS.split(", "))
    assignments += ", changes = exposure_runs.changes + 1"
    if postgres:
        cursor.execute(
            f"INSERT INTO exposure_runs (contractor_id, {RUN_COLUMNS}, changes) SELECT *, 1 "
            f"FROM unnest(%b::int[], {', '.join(['%b::bigint[]'] * 9)}) "
            "ON CONFLICT (contractor_id) DO UPDATE SET " + assignments,
            tuple(list(column) for column in zip(*rows, strict=True)),
        )
    else:
        cursor.executemany(
            f"INSERT INTO exposure_runs (contractor_id, {RUN_COLUMNS}, changes) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,1) ON CONFLICT (contractor_id) DO UPDATE SET "
            + assignments,
            rows,
        )
    cursor.close()
    return breaks


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


def ingest(
    session: Session, token_id: int, events: object, *, now: dt.datetime | None = None
) -> IngestResult:
    """Validate a batch as a whole, store the events not seen before from this token, and
    roll them up, in the caller's transaction (nothing is committed here)."""
    now = now or utcnow()
    parsed = validate_events(events, now)
    resolved = resolve(session, parsed)
    unique: dict[str, Resolved] = {}
    for e in resolved:
        unique.setdefault(e.event_id, e)  # a repeat inside the batch is a duplicate too
    # In event_id order: two overlapping batches then take the unique index's row locks in
    # the same order on PostgreSQL, so one waits for the other instead of deadlocking.
    ordered = [unique[event_id] for event_id in sorted(unique)]
    inserted = _insert_events(session, token_id, ordered, now)
    new = [e for event_id, e in unique.items() if event_id in inserted]
    if new:
        policy = current_policy(session, now)
        with _pipelined(session):
            breaks = _update_runs(session, new, policy)
            groups = aggregate_daily(new)
            add_breaks(groups, new, breaks)
            _upsert_daily(session, groups)
            _upsert_contractor_days(session, groups)
        audit.record(
            session,
            "exposure.ingest",
            "ingest_token",
            token_id,
            {"accepted": len(new), "duplicates": len(parsed) - len(new)},
        )
    return IngestResult(accepted=len(new), duplicates=len(parsed) - len(new))
