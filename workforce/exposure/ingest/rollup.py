"""Step 4 of ingestion: roll up the events really inserted, the only exposure every rule
reads (eligibility, the exposure view, rotations and reports never read the raw events).

Seconds, items, events and break counts per contractor x local day x tier x category x
queue x modality x mitigations (:class:`ExposureDaily`; an event that does not say its
modality or mitigations rolls up as ``unknown``), aggregated in memory first, then one
upsert per group (``seconds = seconds + excluded.seconds``, in key order: one lock order
for every writer on PostgreSQL). An event that crosses the contractor's local midnight (or
an offset change) is split between the two days; its items and event count go to the day
it started. The same seconds and break counts summed per contractor x local day go to
:class:`ContractorDay` (what the exposure report reads when nothing divides a day). Tier-0
events are stored but are not exposure and are not rolled up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, case, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from workforce.exposure.ingest import dialect
from workforce.exposure.ingest.events import DAY_US, EPOCH_ORDINAL, SECOND_US, US, Resolved
from workforce.exposure.models import ContractorDay, ExposureDaily
from workforce.exposure.policy import POLICY_TIERS
from workforce.harm import UNKNOWN
from workforce.timeutil import from_us, split_by_windows

#: (contractor, local day number, tier, category, queue, modality, mitigations)
DailyKey = tuple[int, int, int, str, int, str, str]
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
    value = None if first != last or first is None else first // US
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
        (seg.local_date.toordinal() - EPOCH_ORDINAL, seg.seconds)
        for seg in split_by_windows(start, from_us(end_us), zone, None, None)
        if seg.seconds
    ]
    return pieces or ((start.astimezone(zone).date().toordinal() - EPOCH_ORDINAL, 0),)


def aggregate_daily(events: Iterable[Resolved]) -> dict[DailyKey, list[int]]:
    """Roll events up in memory: (contractor, local day number, tier, category, queue,
    modality, mitigations) ->
    [seconds, items, events, breaks due, breaks missed] (the break counts are added by
    :func:`add_breaks`). Items and the event count go to the day the event started; seconds
    are split at local midnight."""
    groups: dict[DailyKey, list[int]] = {}
    offsets = _OFFSETS
    for (
        _event_id,
        contractor,
        queue_id,
        tier,
        category,
        _at,
        start_us,
        seconds,
        items,
        modality,
        mitigations,
    ) in events:
        if tier == 0:
            continue
        cid, zone, category = contractor.id, contractor.zone, category or ""
        modality, mitigations = modality or UNKNOWN, mitigations or UNKNOWN
        # local_pieces()'s common case inlined: no offset change, no midnight inside.
        end_us = start_us + seconds * SECOND_US
        offset = offsets.get((zone.key, start_us // _OFFSET_BUCKET_US))
        if offset is not None and offset == offsets.get((zone.key, end_us // _OFFSET_BUCKET_US)):
            day = (start_us + offset) // DAY_US
            if not seconds or (end_us + offset - 1) // DAY_US == day:
                key = (cid, day, tier, category, queue_id, modality, mitigations)
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
            key = (cid, day, tier, category, queue_id, modality, mitigations)
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
    """Add ``breaks`` (index in ``events`` -> [due, missed], from :func:`.runs.update_runs`) to
    the row of each event's first local day, where its items and count went."""
    for index, (due, missed) in breaks.items():
        e = events[index]
        day = local_pieces(e.start_us, e.duration_seconds, e.contractor.zone)[0][0]
        key = (
            e.contractor.id,
            day,
            e.tier,
            e.category or "",
            e.queue_id,
            e.modality or UNKNOWN,
            e.mitigations or UNKNOWN,
        )
        group = groups.setdefault(key, [0, 0, 0, 0, 0])
        group[3] += due
        group[4] += missed


def _add(
    session: Session, table: str, columns: Sequence[tuple[str, str]], key: int, rows: list[Any]
) -> None:
    """Upsert ``rows`` (tuples in ``columns`` order, sorted: one lock order for every writer
    on PostgreSQL) into ``table``, adding their counters to a stored row's. ``columns``:
    (name, PostgreSQL type), the first ``key`` of them the conflict key."""
    if not rows:
        return
    names = [name for name, _type in columns]
    on_conflict = f"ON CONFLICT ({', '.join(names[:key])}) DO UPDATE SET " + ", ".join(
        f"{name} = {table}.{name} + excluded.{name}" for name in names[key:]
    )
    dialect.of(session).upsert(session, table, columns, rows, on_conflict)


_DAILY_COLUMNS = (
    ("contractor_id", "int"),
    ("local_day", "date"),
    ("tier", "smallint"),
    ("category", "text"),
    ("queue_id", "int"),
    ("modality", "text"),
    ("mitigations", "text"),
    ("seconds", "bigint"),
    ("items", "bigint"),
    ("events", "int"),
    ("breaks_due", "int"),
    ("breaks_missed", "int"),
)


def upsert_daily(session: Session, groups: dict[DailyKey, list[int]]) -> None:
    """Add the batch's roll-up groups (:func:`aggregate_daily`) to :class:`ExposureDaily`."""
    day = dialect.of(session).local_day
    rows = [(k[0], day(k[1]), *k[2:], *groups[k]) for k in sorted(groups)]
    _add(session, "exposure_daily", _DAILY_COLUMNS, 7, rows)


_DAY_COLUMNS = (
    ("local_day", "date"),
    ("contractor_id", "int"),
    *((f"tier{t}_seconds", "bigint") for t in POLICY_TIERS),
    ("breaks_due", "int"),
    ("breaks_missed", "int"),
)


def upsert_contractor_days(session: Session, groups: dict[DailyKey, list[int]]) -> None:
    """Add the batch's roll-up groups, summed per contractor x local day, to
    :class:`ContractorDay` (as :func:`contractor_day_sums` sums them)."""
    days: dict[tuple[int, int], list[int]] = {}
    last = len(POLICY_TIERS)
    for (cid, day, tier, *_fine), (seconds, _i, _e, due, missed) in groups.items():
        row = days.get((day, cid))
        if row is None:
            row = days[(day, cid)] = [0] * (last + 2)
        for t in POLICY_TIERS:  # seconds at tier t and above, as a tier-t cap counts them
            if tier >= t:
                row[t - 1] += seconds
        row[last] += due
        row[last + 1] += missed
    to_day = dialect.of(session).local_day
    rows = [(to_day(day), cid, *days[(day, cid)]) for day, cid in sorted(days)]
    _add(session, "contractor_days", _DAY_COLUMNS, 2, rows)


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
    other than by :func:`workforce.exposure.ingest.ingest`: benchmarks, fixtures)."""
    session.execute(delete(ContractorDay))
    d = ExposureDaily
    totals = select(d.local_day, d.contractor_id, *contractor_day_sums()).group_by(
        d.local_day, d.contractor_id
    )
    session.execute(
        insert(ContractorDay).from_select([name for name, _type in _DAY_COLUMNS], totals)
    )
