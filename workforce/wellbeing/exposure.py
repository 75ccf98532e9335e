"""Exposure events: fast, idempotent ingestion and the roll-ups every rule reads.

Moderation platforms post batches of up to 5,000 events. A batch is validated as a whole
(one bad event rejects it, naming ``events.<index>.<field>``), then in one transaction:

1. the raw events go in with one bulk statement that skips any ``(ingest token, event_id)``
   already stored (``INSERT ... ON CONFLICT DO NOTHING RETURNING``), so a retried batch,
   whole or partial, adds nothing twice;
2. only the events that statement really inserted are rolled up: seconds, items and events
   per contractor x local day x tier x category (:class:`ExposureDaily`), with one upsert
   per group (``seconds = seconds + excluded.seconds``); an event that crosses the
   contractor's local midnight is split between the two days;
3. the contractor's current *run* of continuous exposure is extended (:class:`ExposureRun`).

Nothing here creates one ORM object per event: the hot path is plain tuples and
dialect-specific bulk SQL (a multi-row ``VALUES`` on SQLite, ``unnest`` arrays on
PostgreSQL). Eligibility, the exposure view, rotations and reports read the roll-ups and
runs, never the raw events.

**Runs (the continuous-exposure rule).** For each policy tier t with a continuous limit, a
run is exposure at tier t *and above* whose gaps are all shorter than tier t's break. A new
event that starts at least one break after the run's end starts a new run; one that overlaps
or comes within a break of the run extends it; one that ended at least a break before the
run started belongs to an older run and leaves the current one alone (late events do not
rewrite history). Gaps use the break of the policy in force when the batch is ingested.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.db import Base, UTCDateTime, utcnow
from workforce.errors import InvalidInput
from workforce.harm import HARM_CATEGORIES
from workforce.queues.models import Queue
from workforce.timeutil import split_by_windows
from workforce.wellbeing.policy import POLICY_TIERS, Policy, current_policy

MAX_EVENTS = 5000
MAX_DURATION_SECONDS = 4 * 3600
MAX_FUTURE = dt.timedelta(minutes=5)
#: Events before this are refused as implausible (and keep date arithmetic in range).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_ITEMS = 100_000
EVENT_ID_MAX = 128
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


class ExposureEvent(Base):
    """One raw event as a platform sent it; written once, never updated."""

    __tablename__ = "exposure_events"
    __table_args__ = (
        UniqueConstraint("ingest_token_id", "event_id"),
        CheckConstraint("duration_seconds BETWEEN 0 AND 14400", name="duration_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: The idempotency namespace: event ids are unique per ingest token.
    ingest_token_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_MAX))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    #: The queue's tier when the event arrived (a queue's tier may change later).
    tier: Mapped[int] = mapped_column(SmallInteger)
    #: NULL for tier 0 queues, which carry no harm category.
    category: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ExposureDaily(Base):
    """Seconds, items and events per contractor x local day x tier x category (tier >= 1)."""

    __tablename__ = "exposure_daily"
    __table_args__ = (Index("ix_exposure_daily_local_day", "local_day"),)

    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    #: The contractor's own calendar date (their time zone when the event arrived).
    local_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    tier: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    items: Mapped[int] = mapped_column(BigInteger, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)


class ExposureRun(Base):
    """The current run of continuous exposure at ``tier`` and above, per contractor."""

    __tablename__ = "exposure_runs"

    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    #: The policy tier whose continuous limit this run is measured against (1..3).
    tier: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    run_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: The end of the last event in the run; a break is measured from here.
    run_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())


# --- validation -------------------------------------------------------------------------


class ParsedEvent(NamedTuple):
    position: int
    event_id: str
    contractor_id: int | None
    contractor_ref: str | None
    queue: str
    category: str | None
    started_at: dt.datetime
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
    """An RFC 3339 instant with an offset, in UTC; ``None`` if it is not one."""
    if type(value) is not str or not _RFC3339.fullmatch(value):
        return None
    text = value.upper()
    if len(text) > 32:
        text = _FRACTION.sub(r"\1", text)  # fromisoformat keeps at most microseconds
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


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
    latest = now + MAX_FUTURE
    for index, raw in enumerate(events):
        if type(raw) is not dict:
            errors.add(index, "", "must be an object")
            continue
        if not raw.keys() <= EVENT_FIELDS:
            for name in sorted(set(raw) - EVENT_FIELDS, key=str)[:5]:
                errors.add(index, str(name)[:64], "unknown field")
        ok = True
        event_id: Any = raw.get("event_id")
        if type(event_id) is not str or not 0 < len(event_id) <= EVENT_ID_MAX:
            errors.add(index, "event_id", f"required: a string of 1 to {EVENT_ID_MAX} characters")
            ok = False
        # Present-but-null is an error like any other wrong type: only absence means "none".
        contractor_id: Any = raw.get("contractor_id", _ABSENT)
        contractor_ref: Any = raw.get("contractor_ref", _ABSENT)
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
        queue: Any = raw.get("queue")
        if type(queue) is not str or not 0 < len(queue) <= 64:
            errors.add(index, "queue", "required: the queue's slug")
            ok = False
        category: Any = raw.get("category")
        if "category" in raw and (type(category) is not str or category not in _CATEGORIES):
            errors.add(index, "category", "must be one of the harm categories")
            ok = False
        started_at = parse_timestamp(raw.get("started_at"))
        if started_at is None:
            errors.add(index, "started_at", "required: an RFC 3339 date-time with a UTC offset")
            ok = False
        elif started_at > latest:
            errors.add(index, "started_at", "more than 5 minutes in the future")
            ok = False
        elif started_at < EARLIEST:
            errors.add(index, "started_at", "before 2000-01-01")
            ok = False
        duration: Any = raw.get("duration_seconds")
        if type(duration) is not int or not 0 <= duration <= MAX_DURATION_SECONDS:
            errors.add(
                index, "duration_seconds", f"required: an integer from 0 to {MAX_DURATION_SECONDS}"
            )
            ok = False
        items: Any = raw.get("items", 1)
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
                    started_at,  # type: ignore[arg-type]
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
    """An event ready to store: ids resolved, tier from the queue."""

    event_id: str
    contractor: _ContractorInfo
    queue_id: int
    tier: int
    category: str | None
    started_at: dt.datetime
    duration_seconds: int
    items: int


def resolve(session: Session, events: Sequence[ParsedEvent]) -> list[Resolved]:
    """Contractors (by id or external_ref) and queues (by slug), one query each; every
    event that names something unknown, an offboarded contractor, or a category its queue
    does not carry is an error, and then the batch is refused."""
    ids = {e.contractor_id for e in events if e.contractor_id is not None}
    refs = {e.contractor_ref for e in events if e.contractor_ref is not None}
    by_id: dict[int, _ContractorInfo] = {}
    by_ref: dict[str, _ContractorInfo] = {}
    if ids or refs:
        cols = select(
            Contractor.id, Contractor.external_ref, Contractor.status, Contractor.timezone
        )
        if ids and refs:
            stmt = cols.where(Contractor.id.in_(ids) | Contractor.external_ref.in_(refs))
        elif ids:
            stmt = cols.where(Contractor.id.in_(ids))
        else:
            stmt = cols.where(Contractor.external_ref.in_(refs))
        for cid, ref, status, tz in session.execute(stmt):
            info = _ContractorInfo(cid, status, ZoneInfo(tz))
            by_id[cid] = info
            if ref is not None:
                by_ref[ref] = info
    slugs = {e.queue for e in events}
    queues = {
        slug: _QueueInfo(qid, tier, frozenset(categories or ()))
        for qid, slug, tier, categories in session.execute(
            select(Queue.id, Queue.slug, Queue.tier, Queue.categories).where(Queue.slug.in_(slugs))
        )
    }
    errors = _Errors()
    out: list[Resolved] = []
    for e in events:
        if e.contractor_id is not None:
            contractor = by_id.get(e.contractor_id)
            field = "contractor_id"
        else:
            contractor = by_ref.get(e.contractor_ref)  # type: ignore[arg-type]
            field = "contractor_ref"
        if contractor is None:
            errors.add(e.position, field, "no such contractor")
        elif contractor.status == "offboarded":
            errors.add(e.position, field, "the contractor is offboarded")
            contractor = None
        queue = queues.get(e.queue)
        if queue is None:
            errors.add(e.position, "queue", f"no queue has the slug '{e.queue[:64]}'")
        elif queue.tier == 0:
            if e.category is not None:
                errors.add(e.position, "category", "a tier 0 queue carries no harm category")
                queue = None
        elif e.category is None:
            errors.add(e.position, "category", "required for a queue of tier 1 to 3")
            queue = None
        elif e.category not in queue.categories:
            errors.add(e.position, "category", f"the queue '{e.queue}' does not carry {e.category}")
            queue = None
        if contractor is not None and queue is not None:
            out.append(
                Resolved(
                    e.event_id,
                    contractor,
                    queue.id,
                    queue.tier,
                    e.category,
                    e.started_at,
                    e.duration_seconds,
                    e.items,
                )
            )
    errors.raise_if_any()
    return out


# --- bulk SQL ---------------------------------------------------------------------------

_EVENT_COLUMNS = (
    "ingest_token_id",
    "event_id",
    "contractor_id",
    "queue_id",
    "tier",
    "category",
    "started_at",
    "duration_seconds",
    "items",
    "received_at",
)
#: SQLite allows 32,766 bound values a statement: 3,000 rows of 10.
_SQLITE_ROWS_PER_STATEMENT = 3000


def _sqlite_time(value: dt.datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime stores (naive UTC, microseconds): rows written
    # here read back through the ORM exactly like rows written by it.
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_events(
    session: Session, token_id: int, events: Sequence[Resolved], received_at: dt.datetime
) -> set[str]:
    """Insert, skipping stored (token, event_id) pairs; returns the event ids inserted."""
    conn = session.connection()
    columns = ", ".join(_EVENT_COLUMNS)
    inserted: set[str] = set()
    if conn.dialect.name == "postgresql":
        sql = (
            f"INSERT INTO exposure_events ({columns}) "
            "SELECT %s, * FROM unnest(%s::text[], %s::int[], %s::int[], %s::smallint[], "
            "%s::text[], %s::timestamptz[], %s::int[], %s::int[], %s::timestamptz[]) "
            "ON CONFLICT (ingest_token_id, event_id) DO NOTHING RETURNING event_id"
        )
        params = (
            token_id,
            [e.event_id for e in events],
            [e.contractor.id for e in events],
            [e.queue_id for e in events],
            [e.tier for e in events],
            [e.category for e in events],
            [e.started_at for e in events],
            [e.duration_seconds for e in events],
            [e.items for e in events],
            [received_at] * len(events),
        )
        inserted.update(row[0] for row in conn.exec_driver_sql(sql, params))
        return inserted
    received = _sqlite_time(received_at)
    for start in range(0, len(events), _SQLITE_ROWS_PER_STATEMENT):
        chunk = events[start : start + _SQLITE_ROWS_PER_STATEMENT]
        values = ",".join(["(?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
        sql = (
            f"INSERT INTO exposure_events ({columns}) VALUES {values} "
            "ON CONFLICT (ingest_token_id, event_id) DO NOTHING RETURNING event_id"
        )
        flat: list[Any] = []
        for e in chunk:
            flat += (
                token_id,
                e.event_id,
                e.contractor.id,
                e.queue_id,
                e.tier,
                e.category,
                _sqlite_time(e.started_at),
                e.duration_seconds,
                e.items,
                received,
            )
        inserted.update(row[0] for row in conn.exec_driver_sql(sql, tuple(flat)))
    return inserted


DailyKey = tuple[int, dt.date, int, str]

_MIDNIGHT = dt.time(0)


def local_pieces(
    started_at: dt.datetime, seconds: int, zone: ZoneInfo
) -> Iterable[tuple[dt.date, int]]:
    """``(local date, seconds)`` of an event: one piece unless it crosses local midnight."""
    local_start = started_at.astimezone(zone)
    end = started_at + dt.timedelta(seconds=seconds)
    local_end = end.astimezone(zone)
    # Same offset at both ends means the wall clock ran straight: compare dates directly.
    if local_start.utcoffset() == local_end.utcoffset():
        day = local_start.date()
        end_day = local_end.date()
        if end_day == day or (local_end.time() == _MIDNIGHT and end_day == day + _ONE_DAY):
            return ((day, seconds),)
    return [
        (seg.local_date, seg.seconds)
        for seg in split_by_windows(started_at, end, zone, None, None)
        if seg.seconds or seconds == 0
    ] or ((local_start.date(), 0),)


_ONE_DAY = dt.timedelta(days=1)


def aggregate_daily(events: Iterable[Resolved]) -> dict[DailyKey, list[int]]:
    """Roll events up in memory: key -> [seconds, items, events]. Items and the event count
    go to the day the event started; seconds are split at local midnight."""
    groups: dict[DailyKey, list[int]] = {}
    for e in events:
        if e.tier == 0:
            continue
        cid, category = e.contractor.id, e.category or ""
        first = True
        for day, seconds in local_pieces(e.started_at, e.duration_seconds, e.contractor.zone):
            key = (cid, day, e.tier, category)
            group = groups.get(key)
            if group is None:
                group = groups[key] = [0, 0, 0]
            group[0] += seconds
            if first:
                group[1] += e.items
                group[2] += 1
                first = False
    return groups


def _upsert_daily(session: Session, groups: dict[DailyKey, list[int]]) -> None:
    if not groups:
        return
    conn = session.connection()
    keys = sorted(groups)  # one lock order for every writer (PostgreSQL)
    update = (
        "ON CONFLICT (contractor_id, local_day, tier, category) DO UPDATE SET "
        "seconds = exposure_daily.seconds + excluded.seconds, "
        "items = exposure_daily.items + excluded.items, "
        "events = exposure_daily.events + excluded.events"
    )
    columns = "contractor_id, local_day, tier, category, seconds, items, events"
    if conn.dialect.name == "postgresql":
        sql = (
            f"INSERT INTO exposure_daily ({columns}) SELECT * FROM unnest(%s::int[], "
            f"%s::date[], %s::smallint[], %s::text[], %s::bigint[], %s::bigint[], %s::int[]) "
            + update
        )
        conn.exec_driver_sql(
            sql,
            (
                [k[0] for k in keys],
                [k[1] for k in keys],
                [k[2] for k in keys],
                [k[3] for k in keys],
                [groups[k][0] for k in keys],
                [groups[k][1] for k in keys],
                [groups[k][2] for k in keys],
            ),
        )
        return
    sql = f"INSERT INTO exposure_daily ({columns}) VALUES (?,?,?,?,?,?,?) " + update
    conn.exec_driver_sql(sql, [(k[0], k[1].isoformat(), k[2], k[3], *groups[k]) for k in keys])


@dataclass(slots=True)
class RunState:
    start: dt.datetime
    end: dt.datetime


def extend_run(
    state: RunState | None, intervals: Iterable[tuple[dt.datetime, dt.datetime]], gap: dt.timedelta
) -> RunState | None:
    """Fold exposure intervals (sorted by start) into the current run (module docstring)."""
    for start, end in intervals:
        if state is None or start >= state.end + gap:
            state = RunState(start, end)
        elif end + gap <= state.start:
            continue  # an older run's event, reported late
        else:
            if start < state.start:
                state.start = start
            if end > state.end:
                state.end = end
    return state


def _update_runs(session: Session, events: Sequence[Resolved], policy: Policy) -> None:
    tracked = [t for t in POLICY_TIERS if policy.tier(t).continuous_limit_minutes]
    if not tracked:
        return
    by_contractor: dict[int, list[tuple[dt.datetime, dt.datetime, int]]] = defaultdict(list)
    for e in events:
        if e.tier >= 1:
            by_contractor[e.contractor.id].append(
                (e.started_at, e.started_at + dt.timedelta(seconds=e.duration_seconds), e.tier)
            )
    if not by_contractor:
        return
    table = ExposureRun.__table__
    stmt = (
        select(table.c.contractor_id, table.c.tier, table.c.run_start, table.c.run_end)
        .where(table.c.contractor_id.in_(by_contractor))
        .order_by(table.c.contractor_id, table.c.tier)
    )
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        stmt = stmt.with_for_update()  # concurrent batches for one person take turns
    current = {(cid, tier): RunState(start, end) for cid, tier, start, end in session.execute(stmt)}
    rows = []
    for cid in sorted(by_contractor):
        intervals = sorted(by_contractor[cid])
        for t in tracked:
            before = current.get((cid, t))
            was = (before.start, before.end) if before else None
            gap = dt.timedelta(seconds=policy.break_seconds(t))
            after = extend_run(before, ((s, e) for s, e, tier in intervals if tier >= t), gap)
            if after is not None and (after.start, after.end) != was:
                rows.append((cid, t, after.start, after.end))
    if not rows:
        return
    upsert = (
        "ON CONFLICT (contractor_id, tier) DO UPDATE SET "
        "run_start = excluded.run_start, run_end = excluded.run_end"
    )
    if postgres:
        conn.exec_driver_sql(
            "INSERT INTO exposure_runs (contractor_id, tier, run_start, run_end) "
            "SELECT * FROM unnest(%s::int[], %s::smallint[], %s::timestamptz[], "
            "%s::timestamptz[]) " + upsert,
            tuple(list(column) for column in zip(*rows, strict=True)),
        )
    else:
        conn.exec_driver_sql(
            "INSERT INTO exposure_runs (contractor_id, tier, run_start, run_end) "
            "VALUES (?,?,?,?) " + upsert,
            [(c, t, _sqlite_time(s), _sqlite_time(e)) for c, t, s, e in rows],
        )


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
    inserted = _insert_events(session, token_id, list(unique.values()), now)
    new = [e for event_id, e in unique.items() if event_id in inserted]
    if new:
        _upsert_daily(session, aggregate_daily(new))
        _update_runs(session, new, current_policy(session, now))
        audit.record(
            session,
            "exposure.ingest",
            "ingest_token",
            token_id,
            {"accepted": len(new), "duplicates": len(parsed) - len(new)},
        )
    return IngestResult(accepted=len(new), duplicates=len(parsed) - len(new))
