"""The cover finder: who may take a shift under every rule, ranked, and why.

The same rules as :func:`workforce.eligibility.check.check` and
:func:`workforce.scheduling.enforcement.enforce` (plus the projected exposure budget of
:func:`workforce.scheduling.offers.exposure_budget`), asked of every contractor at once
with a fixed number of queries instead of a handful per person:

1. every active contractor (one query);
2. the queue's required credentials and language, of everyone (one query);
3. active rotations at the shift's start, for tier >= 2 queues (one query);
4. exposure standings at the shift's start, for tier >= 1 queues
   (:func:`workforce.exposure.standing.standings`: two queries);
5. approved time off and weekly availability (two queries);
6. the hour rules of :func:`workforce.scheduling.rules.check_shift`, with each country's
   limits, against the counted shifts around the shift (three queries).

Each stage only looks at who passed the ones before, so the first rule that excludes a
contractor is the one reported (``?include_excluded=true``).

   Who may break an hour rule is found in SQL first (a shift within rest reach, or more
   planned hours around the shift than the weekly limit leaves room for); only they are
   checked one by one.

Ranking: fewest tier-3 (and above) exposure minutes in the 7 local days ending on the
shift's day, then fewest hours planned in the 7 days before the shift starts, then fewest
minutes of the shift falling in their local night (22:00-06:00), then id.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.models import Contractor, Credential, credential_status_on
from workforce.exposure.policy import current_policy
from workforce.exposure.standing import Standing, standings
from workforce.harm import ROTATED_TIER, SENSITIVE_TIER
from workforce.queues.models import Queue
from workforce.queues.requirements import required_credentials
from workforce.rotations.models import Rotation
from workforce.scheduling.availability import OUTSIDE_AVAILABILITY, is_inside, windows_by_contractor
from workforce.scheduling.enforcement import MAX_SHIFT, RULE_WINDOW
from workforce.scheduling.hour_limits import limits_for
from workforce.scheduling.queries import get_shift
from workforce.scheduling.rules import Interval, ShiftLimits, check_shift
from workforce.scheduling.time_off import ON_LEAVE, on_leave
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_date

__all__ = ["Candidate", "CoverResult", "cover_candidates"]

#: Local night for the third ranking key.
NIGHT_START, NIGHT_END = 22, 6
#: The tier whose recent minutes rank candidates first.
EGREGIOUS = 3


@dataclass
class Candidate:
    contractor_id: int
    full_name: str
    timezone: str
    eligible: bool = True
    #: the rules that exclude them (empty when eligible)
    excluded_by: list[str] = field(default_factory=list)
    #: why they qualify: each rule that was checked and held
    qualifies: list[str] = field(default_factory=list)
    tier3_minutes_7d: int = 0
    hours_this_week: float = 0.0
    night_minutes: int = 0
    local_start: dt.datetime | None = None
    remaining_minutes_today: int | None = None

    def exclude(self, *reasons: str) -> None:
        self.eligible = False
        self.excluded_by.extend(reasons)

    @property
    def rank_key(self) -> tuple[int, float, int, int]:
        return (self.tier3_minutes_7d, self.hours_this_week, self.night_minutes, self.contractor_id)


@dataclass
class CoverResult:
    shift: Shift
    queue: Queue
    candidates: list[Candidate]
    excluded: list[Candidate]


class _Person:
    """The columns of a contractor the rules read (eligibility's ContractorFacts)."""

    __slots__ = (
        "country",
        "full_name",
        "id",
        "opt_outs",
        "sensitive_consent_at",
        "status",
        "timezone",
    )

    def __init__(self, row: Any) -> None:
        self.id: int = row.id
        self.status: str = row.status
        self.timezone: str = row.timezone
        self.sensitive_consent_at: dt.datetime | None = row.sensitive_consent_at
        self.opt_outs: list[str] = list(row.opt_outs or [])
        self.country: str = row.country
        self.full_name: str = row.full_name


def _settings() -> Mapping[str, Any] | None:
    return current_app.config.get("SHIFT_LIMITS") if has_app_context() else None


def _credential_reasons(
    session: Session,
    people: Mapping[int, _Person],
    required: list[dict[str, Any]],
    start: dt.datetime,
) -> dict[int, list[str]]:
    """``credential_reasons`` of :mod:`workforce.queues.requirements` for everyone at once."""
    kinds = {need["kind"] for need in required}
    codes = {need["code"] for need in required}
    held: dict[int, dict[tuple[str, str], set[str]]] = defaultdict(dict)
    rows = session.execute(
        select(
            Credential.contractor_id,
            Credential.kind,
            Credential.code,
            Credential.status,
            Credential.expires_on,
        ).where(Credential.kind.in_(kinds), Credential.code.in_(codes))
    ).all()
    today_of: dict[str, dt.date] = {}
    for contractor_id, kind, code, status, expires_on in rows:
        person = people.get(contractor_id)
        if person is None:
            continue
        today = today_of.get(person.timezone)
        if today is None:
            today = today_of[person.timezone] = local_date(start, load_zone(person.timezone))
        held[contractor_id].setdefault((kind, code), set()).add(
            credential_status_on(status, expires_on, today)
        )
    reasons: dict[int, list[str]] = {}
    for contractor_id in people:
        mine = held.get(contractor_id, {})
        found = []
        for need in required:
            states = mine.get((need["kind"], need["code"]), set())
            if "verified" in states:
                continue
            noun = "language" if need["kind"] == "language" else "credential"
            state = f"{noun}_expired" if "expired" in states else f"missing_{noun}"
            found.append(f"{state}:{need['code']}")
        if found:
            reasons[contractor_id] = found
    return reasons


def _exposure_reasons(now: Standing, tier: int, shift_seconds: int) -> list[str]:
    """Eligibility's exposure reasons (``daily_limit``, ``weekly_limit``,
    ``consecutive_days``, ``break_due``), then the projected daily budget."""
    applicable = now.applicable(tier)
    reasons = []
    if any(s.daily_limit_reached for s in applicable):
        reasons.append("daily_limit")
    if any(s.weekly_limit_reached for s in applicable):
        reasons.append("weekly_limit")
    if any(s.consecutive_limit_reached for s in applicable):
        reasons.append("consecutive_days")
    if now.break_until(tier) is not None:
        reasons.append("break_due")
    if "daily_limit" not in reasons:
        for s in applicable:
            cap = s.daily_cap_minutes
            if cap is not None and s.today_seconds + shift_seconds > cap * 60:
                reasons.append("daily_limit")
                break
    return reasons


def _night_minutes(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> int:
    local = start.astimezone(tz)
    total = 0
    step = dt.timedelta(minutes=30)
    moment = start
    while moment < end:
        local = moment.astimezone(tz)
        if local.hour >= NIGHT_START or local.hour < NIGHT_END:
            total += int((min(moment + step, end) - moment).total_seconds() // 60)
        moment += step
    return total


#: The longest rest any country's limits may ask (hour_limits.py caps rest at 48 h).
REST_REACH = dt.timedelta(hours=48)
_COUNTED = "('scheduled', 'in_progress', 'completed')"


def _seconds_sql(session: Session) -> str:
    if db.is_postgresql(session):
        return "EXTRACT(EPOCH FROM (ends_at - starts_at))"
    return "(julianday(ends_at) - julianday(starts_at)) * 86400.0"


def _suspects(
    session: Session, start: dt.datetime, end: dt.datetime, reach: dt.timedelta, room: float
) -> set[int]:
    """Contractors with a counted shift within rest reach of ``[start, end)``, or with more
    planned seconds in the weeks around it than ``room``."""
    near = db.driver_rows(
        session,
        "SELECT DISTINCT contractor_id FROM shifts WHERE contractor_id IS NOT NULL "
        f"AND status IN {_COUNTED} AND starts_at >= :lo AND starts_at < :hi",
        lo=start - reach,
        hi=end + REST_REACH,
    )
    busy = db.driver_rows(
        session,
        f"SELECT contractor_id, SUM({_seconds_sql(session)}) AS seconds FROM shifts "
        f"WHERE contractor_id IS NOT NULL AND status IN {_COUNTED} "
        "AND starts_at >= :lo AND starts_at < :hi GROUP BY contractor_id",
        lo=start - RULE_WINDOW - MAX_SHIFT,
        hi=end + RULE_WINDOW,
    )
    return {row[0] for row in near} | {row[0] for row in busy if float(row[1] or 0) > room}


def _planned_seconds(session: Session, lo: dt.datetime, hi: dt.datetime) -> dict[int, float]:
    """Seconds of counted shifts starting in ``[lo, hi)``, per contractor (the ranking)."""
    rows = db.driver_rows(
        session,
        f"SELECT contractor_id, SUM({_seconds_sql(session)}) AS seconds FROM shifts "
        f"WHERE contractor_id IS NOT NULL AND status IN {_COUNTED} "
        "AND starts_at >= :lo AND starts_at < :hi GROUP BY contractor_id",
        lo=lo,
        hi=hi,
    )
    return {row[0]: float(row[1] or 0) for row in rows}


def _shift_rows(
    session: Session, ids: set[int], lo: dt.datetime, hi: dt.datetime
) -> list[tuple[int, int, Any, Any]]:
    """Counted shifts of ``ids`` starting in ``[lo, hi)`` (enforce's window): one range
    scan of ``ix_shifts_status_starts``, filtered here (an ``IN`` of thousands of ids
    makes SQLite probe the index once per id)."""
    rows = db.driver_rows(
        session,
        "SELECT contractor_id, id, starts_at, ends_at FROM shifts "
        f"WHERE status IN {_COUNTED} AND starts_at >= :lo AND starts_at < :hi",
        lo=lo,
        hi=hi,
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows if row[0] in ids]


def cover_candidates(session: Session, shift_id: int) -> CoverResult:
    """Everyone who may take shift ``shift_id`` under every rule, ranked, and the others
    with the rules that exclude them (module docstring)."""
    shift = get_shift(session, shift_id)
    queue = session.get_one(Queue, shift.queue_id)
    start, end = shift.starts_at, shift.ends_at
    shift_seconds = int((end - start).total_seconds())
    rows = session.execute(
        select(
            Contractor.id,
            Contractor.status,
            Contractor.timezone,
            Contractor.sensitive_consent_at,
            Contractor.opt_outs,
            Contractor.country,
            Contractor.full_name,
        )
        .where(Contractor.status != "offboarded")
        .order_by(Contractor.id)
    ).all()
    people = {row.id: _Person(row) for row in rows}
    result = {pid: Candidate(pid, p.full_name, p.timezone) for pid, p in people.items()}

    def alive() -> list[int]:
        return [pid for pid, c in result.items() if c.eligible]

    # stage 1: the contractor and the queue
    for pid, person in people.items():
        if pid == shift.contractor_id:
            result[pid].exclude("current_holder")
        elif person.status != "active":
            result[pid].exclude("inactive")
        elif not queue.active:
            result[pid].exclude("queue_inactive")
        else:
            result[pid].qualifies.append("active")
    # stage 2: credentials and language
    required = required_credentials(queue.required_credentials, queue.language)
    if required:
        for pid, reasons in _credential_reasons(
            session, {p: people[p] for p in alive()}, required, start
        ).items():
            result[pid].exclude(*reasons)
        for pid in alive():
            result[pid].qualifies.append("credentials")
    # stage 3: consent, opt-outs, rotations
    if queue.tier >= SENSITIVE_TIER:
        for pid in alive():
            person = people[pid]
            reasons = []
            if person.sensitive_consent_at is None or person.sensitive_consent_at > start:
                reasons.append("no_consent")
            reasons.extend(f"opted_out:{c}" for c in queue.categories if c in person.opt_outs)
            if reasons:
                result[pid].exclude(*reasons)
            else:
                result[pid].qualifies.extend(["consent", "no_opt_out"])
    if queue.tier >= ROTATED_TIER:
        rotated = set(
            session.scalars(
                select(Rotation.contractor_id).where(
                    Rotation.status == "active",
                    Rotation.started_at <= start,
                    Rotation.ends_at > start,
                )
            )
        )
        for pid in alive():
            if pid in rotated:
                result[pid].exclude("rotation_active")
            else:
                result[pid].qualifies.append("no_rotation")
    # stage 4: exposure (always measured, for the ranking)
    ids = alive()
    policy = current_policy(session, start)
    measured = standings(session, [people[p] for p in ids], start, policy) if ids else {}
    for pid in ids:
        now = measured[pid]
        candidate = result[pid]
        candidate.tier3_minutes_7d = now.tiers[EGREGIOUS].rolling_7_day_seconds // 60
        if queue.tier >= SENSITIVE_TIER:
            remaining = now.remaining_seconds_today(queue.tier)
            candidate.remaining_minutes_today = None if remaining is None else remaining // 60
            reasons = _exposure_reasons(now, queue.tier, shift_seconds)
            if reasons:
                candidate.exclude(*reasons)
            else:
                candidate.qualifies.append("exposure_budget")
    # stage 5: approved time off, then weekly availability (enforce's order)
    ids = alive()
    zones = {pid: load_zone(people[pid].timezone) for pid in ids}
    for pid in on_leave(session, zones, start, end):
        result[pid].exclude(ON_LEAVE)
    windows = windows_by_contractor(session)
    for pid in alive():
        if is_inside(Interval(start, end), windows.get(pid, []), zones[pid]):
            result[pid].qualifies.extend(["not_on_leave", "available"])
        else:
            result[pid].exclude(OUTSIDE_AVAILABILITY)
    # stage 6: hour rules. Who may break one is found in SQL: a counted shift within rest
    # reach of this one (overlap, rest), or more planned hours in the weeks around it than
    # the weekly limit leaves room for; only those are checked one by one, with every
    # shift around them (enforce's window).
    ids = alive()
    settings = _settings()
    limits: dict[str, ShiftLimits] = {}
    for pid in ids:
        country = people[pid].country
        if country not in limits:
            limits[country] = limits_for(country, settings)
    reach = REST_REACH + MAX_SHIFT
    room = min((lim.weekly_hours for lim in limits.values()), default=0) * 3600 - shift_seconds
    suspects = _suspects(session, start, end, reach, room) if ids else set()
    recent = _planned_seconds(session, start - dt.timedelta(days=7), start) if ids else {}
    wide: dict[int, list[Interval]] = defaultdict(list)
    checked = {pid for pid in ids if pid in suspects}
    if checked:
        for contractor_id, shift_id_, s_start, s_end in _shift_rows(
            session, checked, start - RULE_WINDOW - MAX_SHIFT, end + RULE_WINDOW
        ):
            wide[contractor_id].append(
                Interval(db.instant_value(s_start), db.instant_value(s_end), shift_id_)
            )
    candidate_interval = Interval(start, end, shift.id)
    alone: dict[tuple[str, str], list[str]] = {}
    night: dict[str, int] = {}
    for pid in ids:
        person = people[pid]
        candidate = result[pid]
        if pid in suspects:
            breaches = check_shift(
                candidate_interval,
                wide.get(pid, []),
                load_zone(person.timezone),
                limits[person.country],
            )
            codes = list(dict.fromkeys(b.code for b in breaches))
        else:  # nothing near: only the shift's own length can break a rule
            key = (person.country, person.timezone)
            if key not in alone:
                alone[key] = [
                    b.code
                    for b in check_shift(
                        candidate_interval,
                        [],
                        load_zone(person.timezone),
                        limits[person.country],
                    )
                ]
            codes = alone[key]
        if codes:
            candidate.exclude(*codes)
            continue
        candidate.qualifies.extend(["no_overlap", "rest", "shift_length", "weekly_hours"])
        candidate.hours_this_week = round(recent.get(pid, 0) / 3600, 2)
        if person.timezone not in night:
            night[person.timezone] = _night_minutes(start, end, load_zone(person.timezone))
        candidate.night_minutes = night[person.timezone]
        candidate.local_start = start.astimezone(load_zone(person.timezone))
    eligible = sorted((c for c in result.values() if c.eligible), key=lambda c: c.rank_key)
    excluded = [c for c in result.values() if not c.eligible]
    return CoverResult(shift, queue, eligible, excluded)
