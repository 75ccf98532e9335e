"""Where a contractor stands against the exposure policy, read from roll-ups and runs only.

Used by eligibility, the exposure view and the rotation engine, so they always agree.
Definitions (tier t = exposure at tier t *and above*, see :mod:`workforce.exposure.policy`):

- **today**: the contractor's local date at the instant asked; ``today_seconds[t]`` is the
  tier-t exposure rolled up on that date.
- **rolling 7 days**: today and the six local days before it.
- **consecutive days**: local days in a row with tier-t exposure, ending yesterday
  (``consecutive_days_before_today``); working today makes it one more. The limit is reached
  when that run, ending yesterday, is already ``max_consecutive_days`` long. Runs are
  counted within the policy's ``history_days`` (longer than any day limit), so a longer run
  is measured as that many days: always past the limit, but not its full length.
- **break due**: the current run at tier t (see :mod:`workforce.exposure.ingest.runs`) has
  lasted at least the continuous limit; a break is due from the run's end for the policy's
  break length.

Three indexed queries: the policy in force, the roll-ups of the last few days (primary key
prefix ``contractor_id, local_day``), and the contractor's runs (primary key);
:func:`standings` measures many contractors with the same two queries over all of them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.models import ContractorFacts
from workforce.exposure.ingest.rollup import contractor_day_sums
from workforce.exposure.models import RUN_COLUMNS
from workforce.exposure.policy import POLICY_TIERS, Policy, current_policy
from workforce.timeutil import from_us, local_date


@dataclass(slots=True)
class TierStanding:
    """One policy tier's measures and limits (minutes and days; ``None``: no limit).
    The limits follow the measures in the order :class:`_Limits` gives them."""

    tier: int
    today_seconds: int = 0
    rolling_7_day_seconds: int = 0
    consecutive_days_before_today: int = 0
    worked_today: bool = False
    daily_cap_minutes: int | None = None
    weekly_cap_minutes: int | None = None
    max_consecutive_days: int | None = None
    continuous_limit_minutes: int | None = None
    break_minutes: int | None = None
    run_start: dt.datetime | None = None
    run_end: dt.datetime | None = None
    break_until: dt.datetime | None = None

    @property
    def remaining_seconds_today(self) -> int | None:
        if self.daily_cap_minutes is None:
            return None
        return max(0, self.daily_cap_minutes * 60 - self.today_seconds)

    @property
    def daily_limit_reached(self) -> bool:
        return self.remaining_seconds_today == 0

    @property
    def weekly_limit_reached(self) -> bool:
        cap = self.weekly_cap_minutes
        return cap is not None and self.rolling_7_day_seconds >= cap * 60

    @property
    def consecutive_days(self) -> int:
        """Days in a row so far, today included when there was exposure today."""
        if self.worked_today:
            return self.consecutive_days_before_today + 1
        return self.consecutive_days_before_today

    @property
    def consecutive_limit_reached(self) -> bool:
        limit = self.max_consecutive_days
        return limit is not None and self.consecutive_days_before_today >= limit

    @property
    def run_seconds(self) -> int:
        if self.run_start is None or self.run_end is None:
            return 0
        return int((self.run_end - self.run_start).total_seconds())


@dataclass(slots=True)
class Standing:
    contractor_id: int
    at: dt.datetime
    timezone: str
    today: dt.date
    policy: Policy
    tiers: dict[int, TierStanding] = field(default_factory=dict)

    def applicable(self, queue_tier: int) -> list[TierStanding]:
        """The tiers whose limits work on a ``queue_tier`` queue must respect (1..T)."""
        return [self.tiers[t] for t in POLICY_TIERS if t <= queue_tier]

    def remaining_seconds_today(self, queue_tier: int) -> int | None:
        """The least of today's remainders of tiers 1..T (None: no daily cap applies)."""
        left: int | None = None
        for s in self.applicable(queue_tier):
            remaining = s.remaining_seconds_today
            if remaining is not None and (left is None or remaining < left):
                left = remaining
        return left

    def break_until(self, queue_tier: int) -> dt.datetime | None:
        """The latest end of a break due at tiers 1..T, if one is due."""
        until: dt.datetime | None = None
        for s in self.applicable(queue_tier):
            if s.break_until is not None and (until is None or s.break_until > until):
                until = s.break_until
        return until


def tier_standing(now: Standing, tier: int) -> dict[str, Any]:
    """One tier's standing as every answer gives it (eligibility's
    ``details.exposure.tiers``, the exposure view's ``tiers``; the API's
    ``TierStanding`` schema). Minutes are whole minutes, rounded down like the caps they
    are compared with; ``remaining_minutes_today`` and ``break_due`` are what applies to
    work on a queue of this tier (every limit of tiers 1..tier)."""
    s = now.tiers[tier]
    remaining = now.remaining_seconds_today(tier)
    break_until = now.break_until(tier)
    return {
        "tier": tier,
        "today_minutes": s.today_seconds // 60,
        "daily_cap_minutes": s.daily_cap_minutes,
        "remaining_minutes_today": None if remaining is None else remaining // 60,
        "rolling_7_day_minutes": s.rolling_7_day_seconds // 60,
        "weekly_cap_minutes": s.weekly_cap_minutes,
        "consecutive_days": s.consecutive_days,
        "max_consecutive_days": s.max_consecutive_days,
        "continuous_minutes": s.run_seconds // 60,
        "run_ended_at": s.run_end,
        "continuous_limit_minutes": s.continuous_limit_minutes,
        "break_minutes": s.break_minutes,
        "break_due": break_until is not None,
        "break_until": break_until,
    }


_NOT_READ: Any = object()
#: The runs row's columns of each tier's run: start and end.
_RUN_OF_TIER = {t: (f"tier{t}_start_us", f"tier{t}_end_us") for t in POLICY_TIERS}


def standing(
    session: Session,
    contractor: ContractorFacts,
    at: dt.datetime,
    policy: Policy | None = None,
    run_row: Any = _NOT_READ,
) -> Standing:
    """Measure the contractor against the policy in force at ``at`` (module docstring).
    ``run_row``: a row with the contractor's ``exposure_runs`` columns by name
    (:data:`RUN_COLUMNS`), or None for no row, when the caller has read them already."""
    policy = policy or current_policy(session, at)
    today = local_date(at, ZoneInfo(contractor.timezone))
    first = today - dt.timedelta(days=policy.history_days)
    days = _daily_rows(session, [contractor.id], first, today)
    if run_row is _NOT_READ:
        run_row = _run_rows(session, [contractor.id]).get(contractor.id)
    rows = days.get(contractor.id, [])
    return _measure(contractor, at, policy, rows, run_row, _Limits.of(policy))


def standings(
    session: Session,
    contractors: Sequence[ContractorFacts],
    at: dt.datetime,
    policy: Policy,
    *,
    scan: bool = False,
) -> dict[int, Standing]:
    """:func:`standing` of many contractors with two queries in all (the rotation sweep):
    the roll-ups of the days any of their zones may call recent, and their runs rows.
    ``scan``: read those days' totals (``contractor_days``) and runs of everyone and keep
    theirs, instead of binding every id (for a large share of the workforce: the cover
    finder; an ``IN`` of thousands of ids makes SQLite probe the primary key once per
    id)."""
    ids = [c.id for c in contractors]
    if not ids:
        return {}  # "IN ()" is an error on PostgreSQL
    # local dates are within a day of the UTC date
    first = at.date() - dt.timedelta(days=policy.history_days + 1)
    last = at.date() + dt.timedelta(days=1)
    if scan:
        days, runs = _all_daily_rows(session, set(ids), first, last), _all_run_rows(session)
    else:
        days, runs = _daily_rows(session, ids, first, last), _run_rows(session, ids)
    limits = _Limits.of(policy)
    return {
        c.id: _measure(c, at, policy, days.get(c.id, []), runs.get(c.id), limits)
        for c in contractors
    }


#: One local day of a contractor's roll-ups as the driver reads it: contractor, local day
#: (a date, or its ISO text on SQLite), then the seconds at each policy tier *and above*
#: (:data:`POLICY_TIERS` order), as a tier-t cap counts them. Kept as read: thousands are
#: measured at once, and the days are few (:func:`_days_ago` knows both spellings).
DayTotals = tuple[int, Any, int, int, int]
#: Those sums over ``exposure_daily`` rows grouped by contractor and day: the ingest's own
#: (:func:`contractor_day_sums`, what ``contractor_days`` keeps), as the plain SQL of the
#: driver statement eligibility runs.
_TIER_SUMS = ", ".join(
    f"{column.compile(compile_kwargs={'literal_binds': True})} AS {column.name}"
    for column in contractor_day_sums()[: len(POLICY_TIERS)]
)


def _daily_rows(
    session: Session, ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, list[DayTotals]]:
    """``contractor -> [DayTotals]`` between two local days."""
    # Plain driver SQL: this runs on every eligibility check.
    statement, names = _reads(len(ids))[0]
    found = db.driver_rows(
        session, statement, first=first, last=last, **dict(zip(names, ids, strict=True))
    )
    rows: dict[int, list[DayTotals]] = defaultdict(list)
    for row in found:
        rows[row[0]].append(row)
    return rows


def _all_daily_rows(
    session: Session, ids: set[int], first: dt.date, last: dt.date
) -> dict[int, list[DayTotals]]:
    """:func:`_daily_rows` of ``ids`` from ``contractor_days`` (the same sums, kept by the
    ingest in the same pass), whose key starts with the day: the days are one range of
    it, read for everyone, and one row a contractor-day however many roll-ups it has."""
    tiers = ", ".join(f"tier{t}_seconds" for t in POLICY_TIERS)
    found = db.driver_rows(
        session,
        f"SELECT contractor_id, local_day, {tiers} FROM contractor_days "
        "WHERE local_day >= :first AND local_day <= :last",
        first=first,
        last=last,
    )
    rows: dict[int, list[DayTotals]] = defaultdict(list)
    for row in found:
        if row[0] in ids:
            rows[row[0]].append(row)
    return rows


def _all_run_rows(session: Session) -> dict[int, Any]:
    """Every ``exposure_runs`` row (one a contractor at most), by contractor."""
    found = db.driver_rows(
        session, f"SELECT contractor_id, {', '.join(RUN_COLUMNS)} FROM exposure_runs"
    )
    return {row.contractor_id: row for row in found}


def _run_rows(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """``contractor -> exposure_runs row`` (:data:`RUN_COLUMNS`) of those with one."""
    statement, names = _reads(len(ids))[1]
    found = db.driver_rows(session, statement, **dict(zip(names, ids, strict=True)))
    return {row.contractor_id: row for row in found}


@cache
def _reads(count: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The roll-up and the runs reads of ``count`` contractors, each with the names of its
    id parameters (one statement per count, so that parsing and row types are reused)."""
    names = tuple(f"contractor{n}" for n in range(count))
    ids = ", ".join(f":{name}" for name in names)
    daily = (
        f"SELECT contractor_id, local_day, {_TIER_SUMS} FROM exposure_daily "
        f"WHERE contractor_id IN ({ids}) AND local_day >= :first AND local_day <= :last "
        "GROUP BY contractor_id, local_day"
    )
    runs = (
        f"SELECT contractor_id, {', '.join(RUN_COLUMNS)} FROM exposure_runs "
        f"WHERE contractor_id IN ({ids})"
    )
    return (daily, names), (runs, names)


@lru_cache(maxsize=512)
def _local_today(at: dt.datetime, timezone: str) -> dt.date:
    """The local date at ``at`` in ``timezone`` (the same for everyone of a zone: asked
    once per zone when many contractors are measured at one instant)."""
    return local_date(at, ZoneInfo(timezone))


@lru_cache(maxsize=64)
def _days_ago(today: dt.date, history_days: int) -> dict[Any, int]:
    """``local day -> days before today`` for the days the limits look at, each day by
    its date and by its ISO text (SQLite's)."""
    found: dict[Any, int] = {}
    for n in range(history_days + 1):
        day = today - dt.timedelta(days=n)
        found[day] = found[day.isoformat()] = n
    return found


#: A tier's limits in :class:`TierStanding`'s order: daily cap, weekly cap, days in a row,
#: continuous limit, break.
_Caps = tuple[int | None, int | None, int | None, int | None, int | None]


@dataclass(frozen=True)
class _Limits:
    """What :func:`_measure` reads of a policy, read once for many contractors."""

    history_days: int
    #: each policy tier with its limits in :class:`TierStanding`'s order (positional:
    #: thousands are built at once)
    tiers: tuple[tuple[int, _Caps], ...]

    @classmethod
    def of(cls, policy: Policy) -> _Limits:
        tiers = []
        for t in POLICY_TIERS:
            rules = policy.tier(t)
            caps: _Caps = (
                rules.daily_cap_minutes,
                rules.weekly_cap_minutes,
                rules.max_consecutive_days,
                rules.continuous_limit_minutes,
                rules.break_minutes,
            )
            tiers.append((t, caps))
        return cls(policy.history_days, tuple(tiers))


def _measure(
    contractor: ContractorFacts,
    at: dt.datetime,
    policy: Policy,
    rows: Sequence[DayTotals],
    runs: Any,
    limits: _Limits,
) -> Standing:
    """The standing from the contractor's day totals and runs row; ``limits``: those of
    ``policy``."""
    today = _local_today(at, contractor.timezone)
    ago_of = _days_ago(today, limits.history_days)
    # per tier: seconds today, in the rolling 7 days, and the days with exposure (bit n:
    # n days ago), from the rows of the days the limits look at; written out for the
    # three tiers (DayTotals), as this runs for every contractor of a workforce at once
    today1 = today2 = today3 = week1 = week2 = week3 = days1 = days2 = days3 = 0
    for _contractor, day, s1, s2, s3 in rows:
        ago = ago_of.get(day)
        if ago is None:
            continue
        if ago == 0:
            today1, today2, today3 = today1 + s1, today2 + s2, today3 + s3
        if ago < 7:
            week1, week2, week3 = week1 + s1, week2 + s2, week3 + s3
        bit = 1 << ago
        days1 |= bit if s1 > 0 else 0
        days2 |= bit if s2 > 0 else 0
        days3 |= bit if s3 > 0 else 0
    (t1, caps1), (t2, caps2), (t3, caps3) = limits.tiers
    tiers = {
        t1: TierStanding(t1, today1, week1, _days_in_a_row(days1 >> 1), today1 > 0, *caps1),
        t2: TierStanding(t2, today2, week2, _days_in_a_row(days2 >> 1), today2 > 0, *caps2),
        t3: TierStanding(t3, today3, week3, _days_in_a_row(days3 >> 1), today3 > 0, *caps3),
    }
    if runs is not None:
        for s in tiers.values():
            _break(s, runs, at)
    return Standing(contractor.id, at, contractor.timezone, today, policy, tiers)


def _days_in_a_row(days: int) -> int:
    """Set bits in a row from bit 0 of ``days``: yesterday, the day before, ..."""
    return (days ^ (days + 1)).bit_length() - 1


def _break(s: TierStanding, runs: Any, at: dt.datetime) -> None:
    """The tier's current run, from the contractor's runs row, and the break due after it
    when it reached the continuous limit."""
    start_column, end_column = _RUN_OF_TIER[s.tier]
    start_us, end_us = getattr(runs, start_column), getattr(runs, end_column)
    if start_us is None or end_us is None:
        return
    run_start, run_end = from_us(start_us), from_us(end_us)
    s.run_start, s.run_end = run_start, run_end
    limit, pause = s.continuous_limit_minutes, s.break_minutes
    if limit and pause and s.run_seconds >= limit * 60:
        until = run_end + dt.timedelta(minutes=pause)
        if at < until:
            s.break_until = until
