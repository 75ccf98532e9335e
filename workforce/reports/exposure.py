"""The exposure report: roll-ups (``exposure_daily``) grouped by SQL, never raw events.

One statement reads the period's contractor-days: the roll-ups summed per contractor x
local day (x tier, category or queue when those are among the keys, since they divide a
contractor-day), with that day's seconds at tier >= 1, >= 2, >= 3 and its break counts
(SQLite streams this along the primary key without sorting; ordered only when tier,
category or queue divide a contractor-day, so that its rows come together for the total).
One pass in Python then adds each contractor-day to its group and to the total row:
distinct contractors, contractor-days, seconds, contractor-days over each tier's daily cap
(the cap of the policy version in force at 00:00 UTC of the local day; "over" is strictly
more than the cap; tier t's cap counts exposure at tier t and above within the group, as
the limits do), a per-minute histogram for the p95, and breaks due and missed. Country
and week come from the contractor and the day in Python rather than from a join and a
date function per roll-up row (bench/report.py: this is what keeps the report within 2x
of a bare ``GROUP BY``).

Rotations (started in the period) are attributed to a group by the contractor's country,
the contractor, and the ISO week (Monday, UTC) of ``started_at``; with ``tier``,
``category`` or ``queue`` among the keys they cannot be attributed and are null in the rows
(the total row still has them). Breach -> rotation is ``started_at - breach_at`` of
automated rotations. Break compliance is ``1 - breaks_missed / breaks_due`` summed over the
group's roll-up rows (counted at ingest: :mod:`workforce.wellbeing.exposure`).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, String, case, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.errors import InvalidInput
from workforce.queues.models import Queue
from workforce.reports.evidence import day_start
from workforce.reports.suppression import suppress
from workforce.wellbeing.exposure import ExposureDaily
from workforce.wellbeing.models import ROTATION_REASONS, Rotation
from workforce.wellbeing.policy import POLICY_TIERS, ExposurePolicy, Policy

GROUP_KEYS = ("country", "queue", "tier", "category", "week", "contractor")
#: Keys a rotation can be attributed by.
ROTATION_KEYS = frozenset({"country", "week", "contractor"})
MAX_DAYS = 366
METRICS = (
    "contractors",
    "contractor_days",
    "exposure_hours",
    "mean_daily_minutes",
    "p95_daily_minutes",
    *(f"days_over_tier{t}_cap" for t in POLICY_TIERS),
    *(f"rotations_{reason}" for reason in ROTATION_REASONS),
    "breach_to_rotation_median_seconds",
    "breach_to_rotation_p95_seconds",
    "breaks_due",
    "break_compliance",
)


@dataclass(frozen=True)
class ExposureArgs:
    start: dt.date
    end: dt.date
    group_by: tuple[str, ...] = ()
    country: str | None = None
    #: a queue's slug
    queue: str | None = None
    tier: int | None = None
    category: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in (
                ("country", self.country),
                ("queue", self.queue),
                ("tier", self.tier),
                ("category", self.category),
            )
            if value is not None
        }


def check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise InvalidInput.field("from", "must not be after to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput.field("to", f"the period is at most {MAX_DAYS} days")


def nearest_rank(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def histogram_rank(buckets: Sequence[tuple[int, int]], q: float) -> int | None:
    """Nearest-rank quantile of a histogram of (value, count), sorted by value."""
    n = sum(count for _value, count in buckets)
    if not n:
        return None
    rank, seen = max(1, math.ceil(q * n)), 0
    for value, count in buckets:
        seen += count
        if seen >= rank:
            return value
    return buckets[-1][0]  # pragma: no cover


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _cap_days(policies: list[ExposurePolicy]) -> list[tuple[dt.date, Policy]]:
    """(first local day it applies to, version): in force at 00:00 UTC of the day."""
    out = []
    for row in policies:
        start = row.effective_from.astimezone(dt.UTC)
        first = start.date() if start.time() == dt.time() else start.date() + dt.timedelta(1)
        out.append((first, Policy.from_row(row)))
    return out


def _caps(day: dt.date, versions: list[tuple[dt.date, Policy]]) -> tuple[int | None, ...]:
    """Each tier's daily cap in seconds on ``day`` (the first version before it began)."""
    rules = versions[0][1]
    for first, version in versions:
        if first <= day:
            rules = version
    return tuple(
        None if (cap := rules.tier(t).daily_cap_minutes) is None else cap * 60 for t in POLICY_TIERS
    )


@dataclass
class Group:
    key: tuple[Any, ...]
    members: set[int] = field(default_factory=set)
    contractor_days: int = 0
    seconds: int = 0
    over: list[int] = field(default_factory=lambda: [0, 0, 0])
    minutes: dict[int, int] = field(default_factory=dict)
    rotations: dict[str, int] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)
    rotations_known: bool = True
    breaks_due: int = 0
    breaks_missed: int = 0

    @property
    def contractors(self) -> int:
        return len(self.members)

    def add_day(
        self, cid: int, caps: tuple[int | None, ...], levels: Sequence[int], due: int, missed: int
    ) -> None:
        """One contractor-day: ``levels`` = seconds at tier >= 1, >= 2, >= 3 (this runs
        for every contractor-day of the period: no loops inside)."""
        self.members.add(cid)
        self.contractor_days += 1
        seconds = levels[0]
        self.seconds += seconds
        minutes = self.minutes
        minutes[seconds // 60] = minutes.get(seconds // 60, 0) + 1
        over = self.over
        cap1, cap2, cap3 = caps
        if cap1 is not None and seconds > cap1:
            over[0] += 1
        if cap2 is not None and levels[1] > cap2:
            over[1] += 1
        if cap3 is not None and levels[2] > cap3:
            over[2] += 1
        self.breaks_due += due
        self.breaks_missed += missed

    def merge(self, other: Group) -> None:
        """Add a group whose contractor-days are disjoint from this one's."""
        self.members |= other.members
        self.contractor_days += other.contractor_days
        self.seconds += other.seconds
        self.over = [a + b for a, b in zip(self.over, other.over, strict=True)]
        for minute, count in other.minutes.items():
            self.minutes[minute] = self.minutes.get(minute, 0) + count
        self.breaks_due += other.breaks_due
        self.breaks_missed += other.breaks_missed

    def metrics(self) -> dict[str, Any]:
        days = self.contractor_days
        delays = sorted(self.delays)
        out: dict[str, Any] = {
            "contractors": self.contractors,
            "contractor_days": days,
            "exposure_hours": round(self.seconds / 3600, 3),
            "mean_daily_minutes": round(self.seconds / 60 / days, 2) if days else None,
            "p95_daily_minutes": histogram_rank(sorted(self.minutes.items()), 0.95),
        }
        for tier, count in zip(POLICY_TIERS, self.over, strict=True):
            out[f"days_over_tier{tier}_cap"] = count
        for reason in ROTATION_REASONS:
            out[f"rotations_{reason}"] = (
                self.rotations.get(reason, 0) if self.rotations_known else None
            )
        known = self.rotations_known
        out["breach_to_rotation_median_seconds"] = (
            round(statistics.median(delays), 3) if delays and known else None
        )
        p95 = nearest_rank(delays, 0.95) if known else None
        out["breach_to_rotation_p95_seconds"] = None if p95 is None else round(p95, 3)
        out["breaks_due"] = self.breaks_due
        out["break_compliance"] = (
            round((self.breaks_due - self.breaks_missed) / self.breaks_due, 4)
            if self.breaks_due
            else None
        )
        return out


#: Keys that divide a contractor-day (read per roll-up row rather than per day).
_FINE_KEYS = ("tier", "category", "queue")


def _aggregate(
    session: Session,
    args: ExposureArgs,
    keys: tuple[str, ...],
    versions: list[tuple[dt.date, Policy]],
    queues: dict[int, str],
) -> tuple[dict[tuple[Any, ...], Group], Group]:
    """The groups and the total row, from one pass over the contractor-days."""
    d = ExposureDaily
    fine = [k for k in _FINE_KEYS if k in keys]
    columns = {"tier": d.tier, "category": d.category, "queue": d.queue_id}
    by = [d.contractor_id, d.local_day, *(columns[k] for k in fine)]
    stmt = (
        select(
            d.contractor_id,
            # the day as the driver gives it (a string on SQLite), parsed once per day below
            # instead of once per row by SQLAlchemy's Date processor
            type_coerce(d.local_day, String),
            *by[2:],
            # PostgreSQL sums BIGINT to NUMERIC: cast back, or every value is a Decimal
            *(
                cast(func.sum(value), BigInteger)
                for value in (
                    d.seconds,
                    case((d.tier >= 2, d.seconds), else_=0),
                    case((d.tier >= 3, d.seconds), else_=0),
                    d.breaks_due,
                    d.breaks_missed,
                )
            ),
        )
        .where(d.local_day >= args.start, d.local_day <= args.end)
        .group_by(*by)
    )
    if fine:  # the total sums each contractor-day's rows: they must come together
        stmt = stmt.order_by(*by)
    if args.country is not None:
        stmt = stmt.where(
            d.contractor_id.in_(select(Contractor.id).where(Contractor.country == args.country))
        )
    if args.queue is not None:
        stmt = stmt.where(d.queue_id == _queue_id(queues, args.queue))
    if args.tier is not None:
        stmt = stmt.where(d.tier == args.tier)
    if args.category is not None:
        stmt = stmt.where(d.category == args.category)
    countries: dict[int, str] = {}
    if "country" in keys:
        countries = dict(session.execute(select(Contractor.id, Contractor.country)).tuples().all())
    caps: dict[dt.date, tuple[int | None, ...]] = {}
    weeks: dict[dt.date, str] = {}
    groups: dict[tuple[Any, ...], Group] = {}
    total = Group(key=())
    # the total's current contractor-day, summed over its rows when fine keys divide it
    current: tuple[int, dt.date] | None = None
    levels, due, missed = [0, 0, 0], 0, 0
    n = len(fine)
    slots = [(k, fine.index(k) if k in fine else -1) for k in keys]
    # Core rather than ORM execution, fetched in chunks: no per-row ORM or driver call for
    # what can be millions of rows
    rows = (row for chunk in session.connection().execute(stmt).partitions(10_000) for row in chunk)
    dates: dict[Any, dt.date] = {}
    for row in rows:
        cid, raw_day = row[0], row[1]
        day = dates.get(raw_day)
        if day is None:
            day = dates[raw_day] = (
                raw_day if isinstance(raw_day, dt.date) else dt.date.fromisoformat(raw_day)
            )
        day_caps = caps.get(day)
        if day_caps is None:
            day_caps = caps[day] = _caps(day, versions)
            weeks[day] = (day - dt.timedelta(days=day.weekday())).isoformat()
        parts = []
        for name, at in slots:
            if at >= 0:
                value = row[2 + at]
                parts.append(queues.get(value, value) if name == "queue" else value)
            elif name == "country":
                parts.append(countries.get(cid))
            elif name == "week":
                parts.append(weeks[day])
            else:
                parts.append(cid)
        key = tuple(parts)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key=key)
        row_levels = (row[2 + n] or 0, row[3 + n] or 0, row[4 + n] or 0)
        row_due, row_missed = row[5 + n] or 0, row[6 + n] or 0
        group.add_day(cid, day_caps, row_levels, row_due, row_missed)
        if not n:
            continue  # the groups partition the contractor-days: merged into the total below
        if current != (cid, day):
            if current is not None:
                total.add_day(current[0], caps[current[1]], levels, due, missed)
            current, levels, due, missed = (cid, day), [0, 0, 0], 0, 0
        levels = [a + b for a, b in zip(levels, row_levels, strict=True)]
        due += row_due
        missed += row_missed
    if current is not None:
        total.add_day(current[0], caps[current[1]], levels, due, missed)
    if not n:
        for group in groups.values():
            total.merge(group)
    return groups, total


def _queue_id(queues: dict[int, str], slug: str) -> int:
    for qid, known in queues.items():
        if known == slug:
            return qid
    raise InvalidInput.field("queue", f"no queue has the slug {slug[:64]!r}")


def _attach_rotations(
    session: Session, args: ExposureArgs, keys: tuple[str, ...], groups: dict[Any, Group]
) -> None:
    if not set(keys) <= ROTATION_KEYS:
        for group in groups.values():
            group.rotations_known = False
        return
    stmt = (
        select(Rotation.contractor_id, Contractor.country, Rotation.reason, Rotation.started_at)
        .add_columns(Rotation.breach_at)
        .join(Contractor, Contractor.id == Rotation.contractor_id)
        .where(
            Rotation.started_at >= day_start(args.start),
            Rotation.started_at < day_start(args.end + dt.timedelta(days=1)),
        )
    )
    if args.country is not None:
        stmt = stmt.where(Contractor.country == args.country)
    for contractor_id, country, reason, started_at, breach_at in session.execute(stmt):
        day = started_at.astimezone(dt.UTC).date()
        values = {
            "country": country,
            "contractor": contractor_id,
            "week": (day - dt.timedelta(days=day.weekday())).isoformat(),
        }
        target = groups.get(tuple(values[k] for k in keys))
        if target is None:  # no exposure in the period: not in any published row
            continue
        target.rotations[reason] = target.rotations.get(reason, 0) + 1
        if breach_at is not None:
            target.delays.append((started_at - breach_at).total_seconds())


def exposure_report(
    session: Session, args: ExposureArgs, policies: list[ExposurePolicy], k: int
) -> dict[str, Any]:
    """Rows (keys, metrics, ``suppressed``) and the total row, ready for the envelope."""
    check_period(args.start, args.end)
    versions = _cap_days(policies)
    keys = args.group_by
    queues = dict(session.execute(select(Queue.id, Queue.slug)).tuples().all())
    if args.queue is not None:
        _queue_id(queues, args.queue)  # an unknown slug is a 422 before any work
    groups, total = _aggregate(session, args, keys, versions, queues)
    _attach_rotations(session, args, keys, groups)
    ordered = [groups[key] for key in sorted(groups, key=lambda key: tuple(map(str, key)))]
    # the total's rotations are those of the published groups (so its differences reveal
    # no more than the groups do)
    total.rotations_known = True
    for group in ordered:
        for reason, count in group.rotations.items():
            total.rotations[reason] = total.rotations.get(reason, 0) + count
        total.delays.extend(group.delays)
    if keys and not set(keys) <= ROTATION_KEYS:
        _attach_rotations(session, args, (), {(): total})
    casework = "contractor" in keys
    if casework:
        # compliance casework: per-contractor exposure, audited by the caller; no suppression
        hidden: frozenset[int] = frozenset()
        total_hidden = False
    else:
        result = suppress(
            [g.contractors for g in ordered],
            k,
            [list(range(len(ordered)))] if ordered else [],
            total_contractors=[total.contractors] if ordered else None,
            values=[float(g.seconds) for g in ordered],
        )
        hidden = result.cells
        total_hidden = bool(result.totals)
    rows = []
    for index, group in enumerate(ordered):
        row: dict[str, Any] = dict(zip(keys, group.key, strict=True))
        row["suppressed"] = index in hidden
        metrics = group.metrics()
        row.update(dict.fromkeys(metrics) if index in hidden else metrics)
        rows.append(row)
    total_metrics = total.metrics()
    total_row: dict[str, Any] = {"suppressed": total_hidden}
    total_row.update(dict.fromkeys(total_metrics) if total_hidden else total_metrics)
    return {
        "group_by": list(keys),
        "min_group": None if casework else k,
        "metrics": list(METRICS),
        "rows": rows,
        "total": total_row,
    }
