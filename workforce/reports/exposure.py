"""The exposure report: roll-ups (``exposure_daily``) grouped by SQL, never raw events.

Two statements over one subquery of contractor-days (group keys x contractor x local day,
with that day's seconds at tier >= 1, >= 2, >= 3 within the group's rows):

1. per group: distinct contractors, contractor-days, seconds, contractor-days over each
   tier's daily cap (the cap of the policy version in force at 00:00 UTC of the local day;
   "over" is strictly more than the cap; tier t's cap counts exposure at tier t and above,
   as the limits do);
2. per group and whole minute of a contractor-day's exposure: how many contractor-days, a
   histogram from which the p95 is read (nearest rank, to the minute) in Python.

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

from sqlalchemy import ColumnElement, Date, and_, case, cast, distinct, func, literal, select
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


def week_of(session: Session, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("week", column), Date)
    return func.date(column, "weekday 0", "-6 days")


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


def _cap_seconds(day: Any, tier: int, versions: list[tuple[dt.date, Policy]]) -> Any:
    caps = [(first, p.tier(tier).daily_cap_minutes) for first, p in versions]
    if len({cap for _first, cap in caps}) == 1:
        cap = caps[0][1]
        return None if cap is None else literal(cap * 60)
    whens = [
        (day >= first, literal(cap * 60) if cap is not None else None)
        for first, cap in reversed(caps[1:])
    ]
    first_cap = caps[0][1]
    return case(*whens, else_=literal(first_cap * 60) if first_cap is not None else None)


@dataclass
class Group:
    key: tuple[Any, ...]
    contractors: int = 0
    contractor_days: int = 0
    seconds: int = 0
    over: list[int] = field(default_factory=lambda: [0, 0, 0])
    minutes: list[tuple[int, int]] = field(default_factory=list)
    rotations: dict[str, int] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)
    rotations_known: bool = True
    breaks_due: int = 0
    breaks_missed: int = 0

    def metrics(self) -> dict[str, Any]:
        days = self.contractor_days
        delays = sorted(self.delays)
        out: dict[str, Any] = {
            "contractors": self.contractors,
            "contractor_days": days,
            "exposure_hours": round(self.seconds / 3600, 3),
            "mean_daily_minutes": round(self.seconds / 60 / days, 2) if days else None,
            "p95_daily_minutes": histogram_rank(sorted(self.minutes), 0.95),
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


def _aggregate(
    session: Session,
    args: ExposureArgs,
    keys: tuple[str, ...],
    versions: list[tuple[dt.date, Policy]],
    queues: dict[int, str],
) -> dict[tuple[Any, ...], Group]:
    d = ExposureDaily
    exprs: dict[str, Any] = {
        "country": Contractor.country,
        "queue": d.queue_id,
        "tier": d.tier,
        "category": d.category,
        "week": week_of(session, d.local_day),
        "contractor": d.contractor_id,
    }
    dims = [exprs[k].label(f"k_{k}") for k in keys]
    inner = select(
        *dims,
        d.contractor_id.label("cid"),
        d.local_day.label("day"),
        func.sum(d.seconds).label("s1"),
        func.sum(case((d.tier >= 2, d.seconds), else_=0)).label("s2"),
        func.sum(case((d.tier >= 3, d.seconds), else_=0)).label("s3"),
        func.sum(d.breaks_due).label("due"),
        func.sum(d.breaks_missed).label("missed"),
    ).where(d.local_day >= args.start, d.local_day <= args.end)
    if "country" in keys or args.country is not None:
        inner = inner.join(Contractor, Contractor.id == d.contractor_id)
    if args.country is not None:
        inner = inner.where(Contractor.country == args.country)
    if args.queue is not None:
        inner = inner.where(d.queue_id == _queue_id(queues, args.queue))
    if args.tier is not None:
        inner = inner.where(d.tier == args.tier)
    if args.category is not None:
        inner = inner.where(d.category == args.category)
    group_exprs = [exprs[k] for k in keys]
    sub = inner.group_by(*group_exprs, d.contractor_id, d.local_day).subquery()
    outer_keys = [sub.c[f"k_{k}"] for k in keys]
    over = []
    for tier in POLICY_TIERS:
        cap = _cap_seconds(sub.c.day, tier, versions)
        level = sub.c[f"s{tier}"]
        over.append(
            func.sum(case((and_(level > cap), 1), else_=0)) if cap is not None else literal(0)
        )
    stmt = select(
        *outer_keys,
        func.count(distinct(sub.c.cid)),
        func.count(),
        func.sum(sub.c.s1),
        *over,
        func.sum(sub.c.due),
        func.sum(sub.c.missed),
    ).group_by(*outer_keys)
    groups: dict[tuple[Any, ...], Group] = {}
    n = len(keys)
    label = _labeller(keys, queues)
    for row in session.execute(stmt):
        key = label(row[:n])
        contractors, days, seconds, o1, o2, o3, due, missed = row[n:]
        groups[key] = Group(
            key=key,
            contractors=contractors,
            contractor_days=days,
            seconds=int(seconds or 0),
            over=[int(o1 or 0), int(o2 or 0), int(o3 or 0)],
            breaks_due=int(due or 0),
            breaks_missed=int(missed or 0),
        )
    minute = (sub.c.s1 // 60).label("minute")
    hist = select(*outer_keys, minute, func.count()).group_by(*outer_keys, minute)
    for row in session.execute(hist):
        key = label(row[:n])
        if key in groups:
            groups[key].minutes.append((int(row[n]), int(row[n + 1])))
    return groups


def _queue_id(queues: dict[int, str], slug: str) -> int:
    for qid, known in queues.items():
        if known == slug:
            return qid
    raise InvalidInput.field("queue", f"no queue has the slug {slug[:64]!r}")


def _labeller(keys: tuple[str, ...], queues: dict[int, str]) -> Any:
    """Row values -> the group's key as published: dates as ISO strings, queues by slug."""
    at = keys.index("queue") if "queue" in keys else -1

    def label(values: Sequence[Any]) -> tuple[Any, ...]:
        key = [_iso(v) for v in values]
        if at >= 0:
            key[at] = queues.get(key[at], key[at])
        return tuple(key)

    return label


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
    groups = _aggregate(session, args, keys, versions, queues)
    _attach_rotations(session, args, keys, groups)
    ordered = [groups[key] for key in sorted(groups, key=lambda key: tuple(map(str, key)))]
    total: Group = _aggregate(session, args, (), versions, queues).get(()) or Group(key=())
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
