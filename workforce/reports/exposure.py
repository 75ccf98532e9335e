"""The exposure report: roll-ups grouped by SQL, never raw events.

The period's contractor-days, each with its seconds at tier >= 1, >= 2, >= 3 and its break
counts, come from the per-day roll-up (``contractor_days``) as it is, or, when tier,
category, queue, modality or mitigations are among the keys or filters (they divide a
contractor-day) or a policy version in the period weighs a modality other than 1.0, from
the roll-ups (``exposure_daily``) summed per contractor x local day x those keys.

Weighted minutes weigh each roll-up row's seconds by its modality's weight in the policy
version in force at 00:00 UTC of the local day, as the caps are chosen (an unknown modality
weighs 1.0); caps, the p95 and every other metric count raw minutes whatever the modality
or mitigation (docs/exposure.md, "Modality and mitigations").
One statement groups them by the report's keys (:func:`_grouped`): distinct contractors,
contractor-days, seconds, contractor-days over each tier's daily cap (the cap of the policy
version in force at 00:00 UTC of the local day; "over" is strictly more than the cap; tier
t's cap counts exposure at tier t and above within the group, as the limits do), breaks
due and missed, and every day's whole minutes for the exact p95. The total row adds up the
groups (with one ``COUNT(DISTINCT)`` of its contractors) when they partition the
contractor-days, and is grouped over whole days on its own when tier, category or queue
divide them. Python handles one row per group (bench/report.py: within 2x of a bare
``GROUP BY`` over the same table).

Rotations (started in the period) are attributed to a group by the contractor's country,
the contractor, and the ISO week (Monday, UTC) of ``started_at``; with ``tier``,
``category`` or ``queue`` among the keys they cannot be attributed and are null in the rows
(the total row still has them). Breach -> rotation is ``started_at - breach_at`` of
automated rotations. Break compliance is ``1 - breaks_missed / breaks_due`` summed over the
group's roll-up rows (counted at ingest: :mod:`workforce.exposure.ingest`).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    FromClause,
    Select,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from workforce.contractors.models import Contractor
from workforce.errors import InvalidInput
from workforce.exposure.ingest import contractor_day_sums
from workforce.exposure.models import ContractorDay, ExposureDaily, ExposurePolicy
from workforce.exposure.policy import POLICY_TIERS, Policy
from workforce.harm import MITIGATIONS, NO_MITIGATION, UNKNOWN
from workforce.queues.models import Queue
from workforce.reports.evidence import day_start
from workforce.reports.suppression import suppress
from workforce.rotations.models import ROTATION_REASONS, Rotation

GROUP_KEYS = (
    "country",
    "queue",
    "tier",
    "category",
    "modality",
    "mitigations",
    "week",
    "contractor",
)
#: What ``mitigation=`` filters by: rows whose mitigations include it, or say none, or
#: did not say.
MITIGATION_FILTERS = (*MITIGATIONS, NO_MITIGATION, UNKNOWN)
#: Keys a rotation can be attributed by.
ROTATION_KEYS = frozenset({"country", "week", "contractor"})
MAX_DAYS = 366
METRICS = (
    "contractors",
    "contractor_days",
    "exposure_hours",
    "exposure_minutes",
    "weighted_exposure_minutes",
    "mean_daily_minutes",
    *(f"mean_daily_minutes_tier{t}_and_above" for t in POLICY_TIERS[1:]),
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
    #: one of :data:`workforce.harm.MODALITIES` or ``unknown``
    modality: str | None = None
    #: one of :data:`MITIGATION_FILTERS`
    mitigation: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in (
                ("country", self.country),
                ("queue", self.queue),
                ("tier", self.tier),
                ("category", self.category),
                ("modality", self.modality),
                ("mitigation", self.mitigation),
            )
            if value is not None
        }

    def divides_days(self) -> bool:
        """Whether a filter keeps only part of a contractor-day."""
        return any(
            value is not None
            for value in (self.queue, self.tier, self.category, self.modality, self.mitigation)
        )


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


def _cap_days(policies: list[ExposurePolicy]) -> list[tuple[dt.date, Policy]]:
    """(first local day it applies to, version): in force at 00:00 UTC of the day."""
    out = []
    for row in policies:
        start = row.effective_from.astimezone(dt.UTC)
        first = start.date() if start.time() == dt.time() else start.date() + dt.timedelta(1)
        out.append((first, Policy.from_row(row)))
    return out


def _tier_caps(rules: Policy) -> tuple[int | None, ...]:
    """Each tier's daily cap in seconds under one policy version."""
    return tuple(
        None if (cap := rules.tier(t).daily_cap_minutes) is None else cap * 60 for t in POLICY_TIERS
    )


@dataclass
class Group:
    key: tuple[Any, ...]
    #: distinct contractors
    contractors: int = 0
    contractor_days: int = 0
    seconds: int = 0
    #: seconds weighed by their modality's weight
    weighted: float = 0.0
    over: list[int] = field(default_factory=lambda: [0, 0, 0])
    #: seconds at tier 2 and above, at tier 3 (what the tier 2 and 3 caps are held against)
    upper: list[int] = field(default_factory=lambda: [0, 0])
    #: contractor-days per whole minute of exposure (for the p95)
    minutes: Counter[int] = field(default_factory=Counter)
    rotations: dict[str, int] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)
    rotations_known: bool = True
    breaks_due: int = 0
    breaks_missed: int = 0

    def add(
        self,
        contractors: int,
        days: int,
        seconds: int,
        weighted: float,
        over: Sequence[int],
        breaks: tuple[int, int],
        minutes: Iterable[int],
        upper: Sequence[int] = (0, 0),
    ) -> None:
        """Contractor-days: how many contractors and days, their seconds, how many days were
        over each tier's cap, breaks due and missed, each day's whole minutes, and their
        seconds at tier 2 and above and at tier 3."""
        self.contractors += contractors
        self.upper = [a + b for a, b in zip(self.upper, upper, strict=True)]
        self.contractor_days += days
        self.seconds += seconds
        self.weighted += weighted
        self.over = [a + b for a, b in zip(self.over, over, strict=True)]
        self.breaks_due += breaks[0]
        self.breaks_missed += breaks[1]
        self.minutes.update(minutes)

    def merge(self, other: Group) -> None:
        """Add a group whose contractor-days are disjoint from this one's (its contractors
        are not: the caller counts them)."""
        self.contractor_days += other.contractor_days
        self.seconds += other.seconds
        self.weighted += other.weighted
        self.over = [a + b for a, b in zip(self.over, other.over, strict=True)]
        self.upper = [a + b for a, b in zip(self.upper, other.upper, strict=True)]
        self.minutes.update(other.minutes)
        self.breaks_due += other.breaks_due
        self.breaks_missed += other.breaks_missed

    def metrics(self) -> dict[str, Any]:
        days = self.contractor_days
        delays = sorted(self.delays)
        out: dict[str, Any] = {
            "contractors": self.contractors,
            "contractor_days": days,
            "exposure_hours": round(self.seconds / 3600, 3),
            "exposure_minutes": round(self.seconds / 60, 2),
            "weighted_exposure_minutes": round(self.weighted / 60, 2),
            "mean_daily_minutes": round(self.seconds / 60 / days, 2) if days else None,
            **{
                f"mean_daily_minutes_tier{tier}_and_above": (
                    round(seconds / 60 / days, 2) if days else None
                )
                for tier, seconds in zip(POLICY_TIERS[1:], self.upper, strict=True)
            },
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


#: Keys that divide a contractor-day.
_FINE_KEYS = ("tier", "category", "queue", "modality", "mitigations")


def weighs(versions: list[tuple[dt.date, Policy]]) -> bool:
    """Whether any version weighs a modality other than 1.0 (else weighted = raw)."""
    return any(w != 1.0 for _first, p in versions for w in p.modality_weights.values())


def _weight(
    day: InstrumentedAttribute[dt.date],
    modality: InstrumentedAttribute[str],
    versions: list[tuple[dt.date, Policy]],
) -> Any:
    """A roll-up row's modality weight on ``day`` as SQL: the version chosen as for the caps
    (:func:`_cap`); 1.0 for a modality the version does not weigh (``unknown``)."""

    def by_modality(rules: Policy) -> Any:
        whens = [
            (modality == name, literal(weight, Float))
            for name, weight in sorted(rules.modality_weights.items())
            if weight != 1.0
        ]
        return case(*whens, else_=literal(1.0, Float)) if whens else literal(1.0, Float)

    oldest = by_modality(versions[0][1])
    newest_first = [(day >= first, by_modality(rules)) for first, rules in reversed(versions[1:])]
    return case(*newest_first, else_=oldest) if newest_first else oldest


def _days(
    args: ExposureArgs,
    fine: Sequence[str],
    queues: dict[int, str],
    versions: list[tuple[dt.date, Policy]],
) -> FromClause:
    """The period's contractor-days (x the fine keys among ``fine``) with their seconds at
    tier >= 1, >= 2, >= 3, weighted seconds and breaks: the per-day roll-up as it is when
    nothing divides a day and nothing is weighed, else the detailed roll-ups summed
    (filtered by queue, tier, category, modality and mitigation)."""
    if not fine and not args.divides_days() and not weighs(versions):
        return ContractorDay.__table__
    d = ExposureDaily
    columns = {
        "tier": d.tier,
        "category": d.category,
        "queue": d.queue_id,
        "modality": d.modality,
        "mitigations": d.mitigations,
    }
    by = [d.contractor_id, d.local_day, *(columns[k] for k in fine)]
    weighted = cast(func.sum(d.seconds * _weight(d.local_day, d.modality, versions)), Float)
    stmt = (
        select(*by, *contractor_day_sums(), weighted.label("weighted_seconds"))
        .where(d.local_day >= args.start, d.local_day <= args.end)
        .group_by(*by)
    )
    if args.queue is not None:
        stmt = stmt.where(d.queue_id == _queue_id(queues, args.queue))
    if args.tier is not None:
        stmt = stmt.where(d.tier == args.tier)
    if args.category is not None:
        stmt = stmt.where(d.category == args.category)
    if args.modality is not None:
        stmt = stmt.where(d.modality == args.modality)
    if args.mitigation in MITIGATIONS:
        # stored sorted and comma-joined; no mitigation's name is part of another's
        stmt = stmt.where(d.mitigations.contains(args.mitigation, autoescape=True))
    elif args.mitigation is not None:
        stmt = stmt.where(d.mitigations == args.mitigation)
    return stmt.subquery("days")


def _cap(day: ColumnElement[Any], versions: list[tuple[dt.date, Policy]], tier: int) -> Any:
    """Tier ``tier``'s daily cap in seconds on ``day`` as SQL: the newest version that
    began by then (:func:`_cap_days`), the oldest before any did; NULL when the version has
    none (no day is over it)."""
    caps = [(first, _tier_caps(version)[tier - 1]) for first, version in versions]
    oldest = literal(caps[0][1], BigInteger)
    newest_first = [(day >= first, cap) for first, cap in reversed(caps[1:])]
    return case(*newest_first, else_=oldest) if newest_first else oldest


def _week(session: Session, day: ColumnElement[Any]) -> ColumnElement[str]:
    """The ISO week's Monday of ``day`` as YYYY-MM-DD."""
    # literal arguments: the same expression is selected and grouped by, and PostgreSQL
    # would not see two differently numbered parameters as the same expression
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(
            func.date_trunc(literal_column("'week'"), day), literal_column("'YYYY-MM-DD'")
        )
    return func.date(day, literal_column("'weekday 0'"), literal_column("'-6 days'"))


def _scoped(stmt: Select[Any], days: FromClause, args: ExposureArgs, join: bool) -> Select[Any]:
    """``stmt`` over the period's ``days`` (of ``args.country``'s contractors)."""
    c = days.c
    stmt = stmt.select_from(days).where(c.local_day >= args.start, c.local_day <= args.end)
    if join or args.country is not None:
        stmt = stmt.join(Contractor, Contractor.id == c.contractor_id)
    if args.country is not None:
        stmt = stmt.where(Contractor.country == args.country)
    return stmt


def _grouped(
    session: Session,
    args: ExposureArgs,
    keys: Sequence[str],
    days: FromClause,
    versions: list[tuple[dt.date, Policy]],
    queues: dict[int, str],
) -> dict[tuple[Any, ...], Group]:
    """The groups of ``keys`` from one statement over ``days``: distinct contractors,
    contractor-days, seconds, days over each cap, breaks and every day's whole minutes."""
    c = days.c
    postgres = session.get_bind().dialect.name == "postgresql"
    named = {"country": Contractor.country, "contractor": c.contractor_id}
    by = [
        _week(session, c.local_day)
        if k == "week"
        else named[k]
        if k in named
        else c["queue_id" if k == "queue" else k]
        for k in keys
    ]
    levels = (c.tier1_seconds, c.tier2_seconds, c.tier3_seconds)
    weighted = c.weighted_seconds if "weighted_seconds" in c else c.tier1_seconds
    minute = c.tier1_seconds // 60
    stmt = select(
        *by,
        func.count(func.distinct(c.contractor_id)),
        func.count(),
        cast(func.sum(weighted), Float),
        *(
            cast(func.sum(value), BigInteger)
            for value in (
                c.tier1_seconds,
                *(
                    case((level > _cap(c.local_day, versions, tier), 1), else_=0)
                    for tier, level in zip(POLICY_TIERS, levels, strict=True)
                ),
                c.breaks_due,
                c.breaks_missed,
                c.tier2_seconds,
                c.tier3_seconds,
            )
        ),
        # every day's whole minutes, for the p95 (a list on PostgreSQL, text on SQLite)
        func.array_agg(minute) if postgres else func.group_concat(minute),
    ).group_by(*by)
    stmt = _scoped(stmt, days, args, "country" in keys)
    groups: dict[tuple[Any, ...], Group] = {}
    n = len(keys)
    queue_at = keys.index("queue") if "queue" in keys else -1
    for row in session.connection().execute(stmt):
        (contractors, count, weighted_sum, seconds, over1, over2, over3, due, missed, s2, s3) = row[
            n:-1
        ]
        minutes = row[-1]
        if not count:
            continue  # no keys: the one row of an empty period
        key = tuple(row[:n])
        if queue_at >= 0:
            key = (*key[:queue_at], queues.get(key[queue_at]), *key[queue_at + 1 :])
        group = groups[key] = Group(key=key)
        group.add(
            contractors,
            count,
            seconds,
            weighted_sum or 0.0,
            (over1, over2, over3),
            (due, missed),
            minutes if postgres else map(int, minutes.split(",")),
            (s2, s3),
        )
    return groups


def _aggregate(
    session: Session,
    args: ExposureArgs,
    keys: tuple[str, ...],
    versions: list[tuple[dt.date, Policy]],
    queues: dict[int, str],
) -> tuple[dict[tuple[Any, ...], Group], Group]:
    """The groups and the total row. When the groups partition the contractor-days the
    total adds them up (counting its distinct contractors apart); when tier, category or
    queue divide a day, it is summed over whole days on its own."""
    fine = [k for k in _FINE_KEYS if k in keys]
    days = _days(args, fine, queues, versions)
    groups = _grouped(session, args, keys, days, versions, queues)
    if fine:
        whole_days = _grouped(
            session, args, (), _days(args, [], queues, versions), versions, queues
        )
        return groups, whole_days.get((), Group(key=()))
    total = Group(key=())
    for group in groups.values():
        total.merge(group)
    if groups:
        distinct = select(func.count(func.distinct(days.c.contractor_id)))
        total.contractors = session.scalar(_scoped(distinct, days, args, False)) or 0
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


#: The grouped column a filter names, and the value a row has there when it matches.
_FILTERED_COLUMNS = {
    "country": "country",
    "queue": "queue",
    "tier": "tier",
    "category": "category",
    "modality": "modality",
    "mitigation": "mitigations",
}


def key_rows(args: ExposureArgs, keys: Sequence[tuple[Any, ...]]) -> list[int]:
    """Rows the reader asked about: those whose value in a grouped column is the value a
    filter names (``mitigation=blur`` grouped by mitigations: the ``blur`` row, not
    ``blur,grayscale``). When every row matches, none is key (nothing tells them apart)."""
    wanted = {
        args.group_by.index(column): value
        for name, value in args.filters().items()
        if (column := _FILTERED_COLUMNS[name]) in args.group_by
    }
    if not wanted:
        return []
    found = [
        index
        for index, key in enumerate(keys)
        if any(key[at] == value for at, value in wanted.items())
    ]
    return found if len(found) < len(keys) else []


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
            keep=key_rows(args, [g.key for g in ordered]),
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
        # what weighted_exposure_minutes used: each version's weights (unknown weighs 1.0)
        "modality_weights": [
            {"version": rules.version, "weights": dict(rules.modality_weights)}
            for _first, rules in versions
        ],
        "rows": rows,
        "total": total_row,
    }
