"""The cover finder: who may take a shift under every rule, ranked, and why.

The same rules as :func:`workforce.eligibility.check.check` and
:func:`workforce.scheduling.enforcement.enforce` (plus the projected exposure budget of
:func:`workforce.scheduling.offers.exposure_budget`), asked of every contractor at once
with a fixed number of queries instead of a handful per person. The stages, in the order
reported to ops:

1. the contractor and the queue: current holder, inactive, queue inactive (every
   contractor not offboarded: one query);
2. the queue's required credentials and language (one query);
3. consent and opt-outs, on a sensitive queue;
4. active rotations at the shift's start, for tier >= 2 queues (one query);
5. exposure standings at the shift's start (:func:`workforce.exposure.standing.standings`,
   by a range scan of the days for many contractors), whose limits bind on a sensitive
   queue;
6. approved time off, then weekly availability (one query each);
7. the hour rules, :func:`workforce.scheduling.rules.judge` (the function ``enforce``'s
   :func:`~workforce.scheduling.rules.check_shift` calls), on plain data that SQL
   aggregates give for everyone: the nearest shift before and after this one and those
   overlapping it, then an upper bound of each local week's hours; a contractor whose
   bound is over their limit is measured exactly from their shifts.

Who is eligible does not depend on the order, so :func:`cover_candidates` runs the stages
cheapest first, each over who passed the ones before (on a busy workforce the hour rules'
one aggregate settles most people before any exposure is measured), and builds the
candidates (with why they qualify) only for the eligible. Who is excluded, and by which
rules, is worked out only when ``CoverResult.excluded`` is read
(``?include_excluded=true``): the stages again, in the order above, so that the first
stage that excludes a contractor is the one reported.

Ranking: fewest tier-3 (and above) exposure minutes in the 7 local days ending on the
shift's day, then fewest hours planned in the 7 days before the shift starts, then fewest
minutes of the shift falling in their local night (22:00-06:00), then id.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.models import Credential, credential_status_on
from workforce.exposure.policy import current_policy
from workforce.exposure.standing import Standing, standings
from workforce.harm import ROTATED_TIER, SENSITIVE_TIER
from workforce.queues.models import Queue
from workforce.queues.requirements import required_credentials
from workforce.rotations.models import Rotation
from workforce.scheduling.availability import OUTSIDE_AVAILABILITY, is_inside, windows_by_contractor
from workforce.scheduling.enforcement import COUNTED_STATUSES, MAX_SHIFT, RULE_WINDOW
from workforce.scheduling.hour_limits import limits_for
from workforce.scheduling.queries import get_shift
from workforce.scheduling.rules import (
    WEEKLY_HOURS_EXCEEDED,
    Around,
    Finding,
    Interval,
    check_shift,
    judge,
    local_weeks,
)
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


@dataclass
class CoverResult:
    shift: Shift
    queue: Queue
    candidates: list[Candidate]
    #: how many may take the shift (``candidates`` may hold only the best of them)
    total: int
    #: works out the others (``excluded``): a second pass, in the reported stage order
    explain: Callable[[], list[Candidate]] = field(repr=False)

    @cached_property
    def excluded(self) -> list[Candidate]:
        """Everyone else (not offboarded), by id, with the rules that exclude them."""
        with _collector_paused():
            return self.explain()


#: The columns of a contractor the rules read (eligibility's ContractorFacts), read with
#: plain SQL into a row (a named tuple); opt-outs as text (psycopg would parse every
#: contractor's JSON), parsed only on a sensitive queue, and only where there are some
#: (by :meth:`_Finder._consent`).
_PERSON_COLUMNS = (
    "id, status, timezone, sensitive_consent_at, CAST(opt_outs AS TEXT) AS opt_outs, "
    "country, full_name"
)


def _settings() -> Mapping[str, Any] | None:
    return current_app.config.get("SHIFT_LIMITS") if has_app_context() else None


def _credential_reasons(
    session: Session,
    people: Mapping[int, Any],
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
    ``consecutive_days``, ``break_due``), then the projected daily budget; one pass over
    the applicable tiers (this runs for every contractor)."""
    daily = weekly = consecutive = breaking = projected = False
    for s in now.applicable(tier):
        if s.daily_limit_reached:
            daily = True
        elif s.daily_cap_minutes is not None:
            projected |= s.today_seconds + shift_seconds > s.daily_cap_minutes * 60
        weekly |= s.weekly_limit_reached
        consecutive |= s.consecutive_limit_reached
        breaking |= s.break_until is not None  # as now.break_until(tier): any of them
    found = (
        ("daily_limit", daily),
        ("weekly_limit", weekly),
        ("consecutive_days", consecutive),
        ("break_due", breaking),
        ("daily_limit", projected and not daily),
    )
    return [reason for reason, holds in found if holds]


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


#: From how many contractors on exposure standings are read by a range scan of the days.
SCAN_FROM = 500
#: Statuses whose planned time counts (enforce's), as SQL.
_COUNTED = "(" + ", ".join(f"'{status}'" for status in COUNTED_STATUSES) + ")"


def _seconds_sql(session: Session, *, bound: bool = False) -> str:
    """A shift's length in seconds; ``bound``: at least its length, cheaper to work out
    on SQLite (whole seconds, one more for the fraction each end may have lost), where
    julianday() of every shift of a week of everyone costs as much as the rest of the
    query (an SQLite older than 3.38 gets ``unixepoch`` from :func:`db.unixepoch`)."""
    if db.is_postgresql(session):
        return "EXTRACT(EPOCH FROM (ends_at - starts_at))"
    if bound:
        return "(unixepoch(ends_at) - unixepoch(starts_at) + 1)"
    return "(julianday(ends_at) - julianday(starts_at)) * 86400.0"


def _shifts_of(session: Session, ids: list[int]) -> tuple[str, str, dict[str, Any]]:
    """``FROM`` the shifts of ``ids``, the condition that picks them (the ids bound as one
    parameter: thousands bound one by one would make SQLite's planner probe an index once
    per id anyway, with a statement per count), and its parameters. Read by contractor:
    one short range of ``ix_shifts_contractor_starts_cover`` each, in contractor order
    (no sort for a ``GROUP BY``), without the table's rows where the shift's id is not
    read; SQLite's planner, without statistics, is told so (it would take the covering
    index of the days, read everyone's shifts and sort them)."""
    if db.is_postgresql(session):
        return "shifts", "contractor_id = ANY(:ids)", {"ids": list(ids)}
    return (
        "shifts INDEXED BY ix_shifts_contractor_starts_cover",
        "contractor_id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(ids)},
    )


def _instant(value: Any) -> dt.datetime | None:
    return None if value is None else db.instant_value(value)


class _Finder:
    """The stages of the finder over one shift. Each stage takes the contractors still in
    play and answers ``{contractor: reasons}`` for those it excludes; the labels it adds to
    ``qualifies`` are :meth:`labels`. The eligible are those no stage excludes, whatever
    the order: :meth:`eligible` runs the cheapest first, :meth:`explain` (only for
    ``?include_excluded=true``) runs them in :data:`STAGES` order so that the first stage
    that excludes a contractor is the one reported."""

    #: The order reported to ops (docs/offers.md).
    STAGES = (
        "person",
        "credentials",
        "consent",
        "rotation",
        "exposure",
        "leave",
        "availability",
        "hours",
    )
    #: The order that finds the eligible fastest: cheap in-memory checks, then one SQL
    #: aggregate that settles the hour rules of everyone, the exposure standings last.
    FAST = (
        "person",
        "consent",
        "hours",
        "rotation",
        "credentials",
        "leave",
        "availability",
        "exposure",
    )

    def __init__(self, session: Session, shift: Shift, queue: Queue) -> None:
        self.session, self.shift, self.queue = session, shift, queue
        self.tier: int = queue.tier  # read per contractor: a plain attribute
        self.start, self.end = shift.starts_at, shift.ends_at
        self.candidate = Interval(self.start, self.end, shift.id)
        self.shift_seconds = int((self.end - self.start).total_seconds())
        rows = db.driver_rows(
            session,
            f"SELECT {_PERSON_COLUMNS} FROM contractors WHERE status <> 'offboarded' ORDER BY id",
        )
        self.people: dict[int, Any] = {row.id: row for row in rows}
        self.zones: dict[str, dt.tzinfo] = {}
        for person in self.people.values():
            if person.timezone not in self.zones:
                self.zones[person.timezone] = load_zone(person.timezone)
        settings = _settings()
        self.limits = {
            country: limits_for(country, settings)
            for country in {p.country for p in self.people.values()}
        }
        self.measured: dict[int, Standing] = {}
        self._near_found: dict[int, tuple[tuple[Interval, ...], Any, Any]] | None = None
        self.required = required_credentials(queue.required_credentials, queue.language)

    def labels(self, stage: str) -> list[str]:
        """What a contractor passing ``stage`` qualifies by (``qualifies``)."""
        tier = self.tier
        return {
            "person": ["active"],
            "credentials": ["credentials"] if self.required else [],
            "consent": ["consent", "no_opt_out"] if tier >= SENSITIVE_TIER else [],
            "rotation": ["no_rotation"] if tier >= ROTATED_TIER else [],
            "exposure": ["exposure_budget"] if tier >= SENSITIVE_TIER else [],
            "leave": ["not_on_leave"],
            "availability": ["available"],
            "hours": ["no_overlap", "rest", "shift_length", "weekly_hours"],
        }[stage]

    def run(self, stage: str, ids: list[int], complete: bool) -> dict[int, list[str]]:
        """``{contractor: reasons}`` of those of ``ids`` that ``stage`` excludes; without
        ``complete``, a reason at least (the hour rules stop at the first)."""
        if not ids:
            return {}
        if stage == "hours":
            return self._hours(ids, complete)
        found: dict[int, list[str]] = getattr(self, f"_{stage}")(ids)
        return found

    def eligible(self) -> list[int]:
        ids = list(self.people)
        for stage in self.FAST:
            excluded = self.run(stage, ids, complete=False)
            ids = [pid for pid in ids if pid not in excluded]
        return ids

    def explain(self) -> list[Candidate]:
        """Everyone not eligible, by id, with the reasons of the first stage that excludes
        them and what they passed before it."""
        result = {pid: Candidate(pid, p.full_name, p.timezone) for pid, p in self.people.items()}
        ids = list(self.people)
        for stage in self.STAGES:
            excluded = self.run(stage, ids, complete=True)
            if stage == "exposure":
                for pid in ids:
                    self._exposure_measures(result[pid])
            labels = self.labels(stage)
            for pid in ids:
                if pid in excluded:
                    result[pid].exclude(*excluded[pid])
                else:
                    result[pid].qualifies.extend(labels)
            ids = [pid for pid in ids if pid not in excluded]
        return [c for c in result.values() if not c.eligible]

    def candidates(self, ids: list[int], limit: int | None = None) -> list[Candidate]:
        """The eligible as ranked candidates (the best ``limit``), with every rule that
        held and the measures; only those answered are built."""
        qualifies = [label for stage in self.STAGES for label in self.labels(stage)]
        tier3 = {pid: self._tier3_minutes(pid) for pid in ids}
        if limit is not None and len(ids) > limit > 0:
            # Whoever has more tier-3 minutes than the limit-th fewest cannot place: the
            # later keys are measured only for the rest (the ties included).
            cut = heapq.nsmallest(limit, tier3.values())[-1]
            ids = [pid for pid in ids if tier3[pid] <= cut]
        # hours planned in the 7 days before the shift starts (the ranking)
        recent = self._sums(ids, self.start - dt.timedelta(days=7), self.start) if ids else {}
        night = {
            zone: _night_minutes(self.start, self.end, self.zones[zone])
            for zone in {self.people[pid].timezone for pid in ids}
        }
        # the ranking: fewest recent tier-3 minutes, then hours, then night minutes
        ranked = sorted(
            (
                tier3[pid],
                round(recent.get(pid, 0) / 3600, 2),
                night[self.people[pid].timezone],
                pid,
            )
            for pid in ids
        )
        found = []
        for _tier3, hours, night_minutes, pid in ranked[:limit]:
            person = self.people[pid]
            candidate = Candidate(pid, person.full_name, person.timezone)
            candidate.qualifies = list(qualifies)
            self._exposure_measures(candidate)
            candidate.hours_this_week = hours
            candidate.night_minutes = night_minutes
            candidate.local_start = self.start.astimezone(self.zones[person.timezone])
            found.append(candidate)
        return found

    # -- the stages --------------------------------------------------------------------

    def _person(self, ids: list[int]) -> dict[int, list[str]]:
        excluded = {}
        holder, people, active = self.shift.contractor_id, self.people, self.queue.active
        for pid in ids:
            if pid == holder:
                excluded[pid] = ["current_holder"]
            elif people[pid].status != "active":
                excluded[pid] = ["inactive"]
            elif not active:
                excluded[pid] = ["queue_inactive"]
        return excluded

    def _credentials(self, ids: list[int]) -> dict[int, list[str]]:
        if not self.required:
            return {}
        people = {pid: self.people[pid] for pid in ids}
        return _credential_reasons(self.session, people, self.required, self.start)

    def _consent(self, ids: list[int]) -> dict[int, list[str]]:
        if self.tier < SENSITIVE_TIER:
            return {}
        excluded = {}
        categories = list(self.queue.categories)
        consented: dict[Any, bool] = {}  # by the stored value: parsed once each
        for pid in ids:
            person = self.people[pid]
            reasons = []
            raw = person.sensitive_consent_at
            if raw not in consented:
                at = _instant(raw)
                consented[raw] = at is not None and at <= self.start
            if not consented[raw]:
                reasons.append("no_consent")
            if person.opt_outs is not None and person.opt_outs != "[]":
                opt_outs = db.json_value(person.opt_outs) or []
                reasons.extend(f"opted_out:{c}" for c in categories if c in opt_outs)
            if reasons:
                excluded[pid] = reasons
        return excluded

    def _rotation(self, ids: list[int]) -> dict[int, list[str]]:
        if self.tier < ROTATED_TIER:
            return {}
        rotated = set(
            self.session.scalars(
                select(Rotation.contractor_id).where(
                    Rotation.status == "active",
                    Rotation.started_at <= self.start,
                    Rotation.ends_at > self.start,
                )
            )
        )
        return {pid: ["rotation_active"] for pid in ids if pid in rotated}

    def _exposure(self, ids: list[int]) -> dict[int, list[str]]:
        """Exposure standings (always measured, for the ranking); the limits only bind on
        a sensitive queue."""
        missing = [self.people[pid] for pid in ids if pid not in self.measured]
        if missing:
            policy = current_policy(self.session, self.start)
            # many: one range scan of the days' roll-ups rather than thousands of ids bound
            scan = len(missing) > SCAN_FROM
            self.measured.update(standings(self.session, missing, self.start, policy, scan=scan))
        if self.tier < SENSITIVE_TIER:
            return {}
        excluded = {}
        for pid in ids:
            reasons = _exposure_reasons(self.measured[pid], self.tier, self.shift_seconds)
            if reasons:
                excluded[pid] = reasons
        return excluded

    def _exposure_measures(self, candidate: Candidate) -> None:
        now = self.measured[candidate.contractor_id]
        candidate.tier3_minutes_7d = self._tier3_minutes(candidate.contractor_id)
        if self.tier >= SENSITIVE_TIER:
            remaining = now.remaining_seconds_today(self.tier)
            candidate.remaining_minutes_today = None if remaining is None else remaining // 60

    def _tier3_minutes(self, pid: int) -> int:
        return self.measured[pid].tiers[EGREGIOUS].rolling_7_day_seconds // 60

    def _leave(self, ids: list[int]) -> dict[int, list[str]]:
        zones = {pid: self.zones[self.people[pid].timezone] for pid in ids}
        return {pid: [ON_LEAVE] for pid in on_leave(self.session, zones, self.start, self.end)}

    def _availability(self, ids: list[int]) -> dict[int, list[str]]:
        windows = windows_by_contractor(self.session)
        return {
            pid: [OUTSIDE_AVAILABILITY]
            for pid in ids
            if pid in windows
            and not is_inside(self.candidate, windows[pid], self.zones[self.people[pid].timezone])
        }

    def _hours(self, ids: list[int], complete: bool) -> dict[int, list[str]]:
        """The hour rules (:func:`workforce.scheduling.rules.judge`) of everyone, on what SQL
        aggregates tell of each contractor: the nearest shift ending before this one and
        starting after it, and those overlapping it, within the longest rest any of their
        countries asks (further away no rest rule can break: one aggregate over that short
        range); then, for those still in play, an upper bound of the time worked in the
        local weeks it touches (every shift reaching into any contractor's week, in full,
        plus this one). Only a contractor whose bound is over their weekly limit is
        measured exactly, from their shifts (enforce's window). Without ``complete`` a
        contractor excluded by overlap or rest is not asked the weekly rule too, the bound
        is read only where it may pass the least weekly limit, and the exact measure reads
        only the shifts reaching into the weeks (the weekly rule is all that is left)."""
        length = self.end - self.start
        rest = dt.timedelta(hours=max(lim.rest_hours for lim in self.limits.values()))
        near = self._near(rest)
        weeks = self.weeks
        excluded: dict[int, list[str]] = {}
        weekly: list[int] = []
        nothing: tuple[tuple[Interval, ...], Any, Any] = ((), None, None)
        if not complete:  # overlap, rest and length first: they settle most contractors
            # judged once per country and neighbours (shared: few distinct instants), and
            # once per country for the many with no shift near
            judged: dict[tuple[str, int, int, int], list[Finding]] = {}
            alone = {c: judge(self.candidate, Around(), lim) for c, lim in self.limits.items()}
            people = self.people
            for pid in ids:
                country = people[pid].country
                neighbours = near.get(pid)
                if neighbours is None:
                    findings = alone[country]
                else:
                    overlap, before, after = neighbours
                    key = (country, id(overlap), id(before), id(after))
                    found = judged.get(key)
                    if found is None:
                        found = judged[key] = judge(
                            self.candidate,
                            Around(overlapping=overlap, before=before, after=after),
                            self.limits[country],
                        )
                    findings = found
                if findings:
                    excluded[pid] = [findings[0].code]
                else:
                    weekly.append(pid)
            # the weekly rule can break only where the bound (plus this shift) may pass the
            # least weekly limit: the bound is read for those alone (a shift longer than
            # that limit may break it with no other shift: then everyone is judged)
            least = min(lim.weekly_hours for lim in self.limits.values())
            over = (dt.timedelta(hours=least) - length).total_seconds()
            if over >= 0:
                bounds = self._week_seconds(weekly, over)
                weekly = [pid for pid in weekly if pid in bounds]
            else:
                bounds = self._week_seconds(weekly)
            # only the weekly rule is left to measure: the shifts reaching into the weeks
            window = self._week_window()
        else:
            weekly = ids
            bounds = self._week_seconds(weekly)
            window = (self.start - RULE_WINDOW - MAX_SHIFT, self.end + RULE_WINDOW)
        measure: list[int] = []
        for pid in weekly:
            person = self.people[pid]
            overlap, before, after = near.get(pid, nothing)
            bound = dt.timedelta(seconds=bounds.get(pid, 0.0)) + length
            findings = judge(
                self.candidate,
                Around(
                    overlapping=overlap,
                    before=before,
                    after=after,
                    weeks=[(monday, bound) for monday, _, _ in weeks[person.timezone]],
                ),
                self.limits[person.country],
            )
            if any(f.code == WEEKLY_HOURS_EXCEEDED for f in findings):
                measure.append(pid)
            elif findings:
                excluded[pid] = list(dict.fromkeys(f.code for f in findings))
        excluded.update(self._measure_hours(measure, *window))
        return excluded

    @cached_property
    def weeks(self) -> dict[str, list[tuple[dt.date, dt.datetime, dt.datetime]]]:
        """The local weeks the shift touches, per zone."""
        return {name: local_weeks(self.candidate, tz) for name, tz in self.zones.items()}

    def _near(self, rest: dt.timedelta) -> dict[int, tuple[tuple[Interval, ...], Any, Any]]:
        """``contractor -> (overlapping, before, after)`` (:class:`Around`) of everyone with
        a counted shift within ``rest`` (plus the longest shift) of this one: one
        aggregate. Only the instants the rules read are filled in."""
        if self._near_found is not None:
            return self._near_found
        rows = db.driver_rows(
            self.session,
            "SELECT contractor_id, "
            "MAX(CASE WHEN ends_at <= :start THEN ends_at END) AS before_end, "
            "MIN(CASE WHEN starts_at >= :end THEN starts_at END) AS after_start, "
            "MIN(CASE WHEN starts_at < :end AND ends_at > :start THEN starts_at END) "
            "AS overlap_start, "
            "MAX(CASE WHEN starts_at < :end AND ends_at > :start THEN ends_at END) "
            "AS overlap_end "
            f"FROM shifts WHERE status IN {_COUNTED} AND starts_at >= :lo AND starts_at < :hi "
            "AND contractor_id IS NOT NULL AND id <> :shift_id GROUP BY contractor_id",
            start=self.start,
            end=self.end,
            lo=self.start - rest - MAX_SHIFT,
            hi=self.end + rest,
            shift_id=self.shift.id,
        )
        found: dict[int, tuple[tuple[Interval, ...], Any, Any]] = {}
        # Shifts start and end on few distinct instants: each is parsed once, and the
        # intervals the rules read (only their ends) are shared.
        points: dict[Any, Interval] = {}
        spans: dict[tuple[Any, Any], tuple[Interval, ...]] = {}
        instant = db.instant_value
        for contractor_id, before_end, after_start, overlap_start, overlap_end in rows:
            before = after = None
            overlap: tuple[Interval, ...] = ()
            if before_end is not None:
                before = points.get(before_end)
                if before is None:
                    moment = instant(before_end)
                    before = points[before_end] = Interval(moment, moment)
            if after_start is not None:
                after = points.get(after_start)
                if after is None:
                    moment = instant(after_start)
                    after = points[after_start] = Interval(moment, moment)
            if overlap_start is not None:
                # the overlapping shifts stand as one: the finder reads only the codes
                key = (overlap_start, overlap_end)
                found_span = spans.get(key)
                if found_span is None:
                    found_span = spans[key] = (
                        Interval(instant(overlap_start), instant(overlap_end)),
                    )
                overlap = found_span
            found[contractor_id] = (overlap, before, after)
        self._near_found = found
        return found

    def _week_seconds(self, ids: list[int], over: float | None = None) -> dict[int, float]:
        """Per contractor of ``ids``: the seconds of their counted shifts reaching into any
        zone's local week(s) of this one, in full (an upper bound of each week's time);
        with ``over``, only the bounds above it."""
        if not ids:
            return {}
        lo, hi = self._week_window()
        return self._sums(ids, lo, hi, after=lo + MAX_SHIFT, over=over, bound=True)

    def _week_window(self) -> tuple[dt.datetime, dt.datetime]:
        """Where the shifts reaching into any zone's local week(s) of this one start."""
        week_lo = min(lo for found in self.weeks.values() for _, lo, _ in found)
        week_hi = max(hi for found in self.weeks.values() for _, _, hi in found)
        return week_lo - MAX_SHIFT, week_hi

    def _sums(
        self,
        ids: list[int],
        lo: dt.datetime,
        hi: dt.datetime,
        *,
        after: dt.datetime | None = None,
        over: float | None = None,
        bound: bool = False,
    ) -> dict[int, float]:
        """Seconds of counted shifts of ``ids`` starting in ``[lo, hi)`` (and ending after
        ``after``), per contractor (those over ``over`` only; ``bound``: at least the
        seconds, :func:`_seconds_sql`): one query (:func:`_shifts_of`). The shift to cover
        is never among them: its holder is excluded first, and an open one has none."""
        source, theirs, id_params = _shifts_of(self.session, ids)
        seconds = f"SUM({_seconds_sql(self.session, bound=bound)})"
        rows = db.driver_rows(
            self.session,
            f"SELECT contractor_id, {seconds} AS seconds FROM {source} "
            f"WHERE status IN {_COUNTED} AND starts_at >= :lo AND starts_at < :hi "
            f"{'' if after is None else 'AND ends_at > :after'} "
            f"AND {theirs} GROUP BY contractor_id"
            f"{'' if over is None else f' HAVING {seconds} > :over'}",
            lo=lo,
            hi=hi,
            **id_params,
            **({} if after is None else {"after": after}),
            **({} if over is None else {"over": over}),
        )
        return {row[0]: float(row[1] or 0) for row in rows}

    def _measure_hours(
        self, ids: list[int], lo: dt.datetime, hi: dt.datetime
    ) -> dict[int, list[str]]:
        """The hour rules of ``ids`` from their shifts starting in ``[lo, hi)`` (one
        query): enforce's window, or the weeks' when only the weekly rule is left."""
        shifts: dict[int, list[Interval]] = defaultdict(list)
        if ids:
            source, theirs, id_params = _shifts_of(self.session, ids)
            instant = cache(db.instant_value)  # shifts start and end on few instants
            for row in db.driver_rows(
                self.session,
                f"SELECT contractor_id, id, starts_at, ends_at FROM {source} "
                f"WHERE status IN {_COUNTED} AND starts_at >= :lo AND starts_at < :hi "
                f"AND {theirs}",
                lo=lo,
                hi=hi,
                **id_params,
            ):
                shifts[row.contractor_id].append(
                    Interval(instant(row.starts_at), instant(row.ends_at), row.id)
                )
        excluded = {}
        for pid in ids:
            person = self.people[pid]
            breaches = check_shift(
                self.candidate,
                shifts.get(pid, []),
                self.zones[person.timezone],
                self.limits[person.country],
            )
            if breaches:
                excluded[pid] = list(dict.fromkeys(b.code for b in breaches))
        return excluded


def cover_candidates(session: Session, shift_id: int, limit: int | None = None) -> CoverResult:
    """Everyone who may take shift ``shift_id`` under every rule, ranked (the best
    ``limit`` of them when given); the others, with the rules that exclude them, are worked
    out when ``excluded`` is first read (module docstring)."""
    with _collector_paused():
        shift = get_shift(session, shift_id)
        queue = session.get_one(Queue, shift.queue_id)
        finder = _Finder(session, shift, queue)
        eligible = finder.eligible()
        found = finder.candidates(eligible, limit)
    return CoverResult(shift, queue, found, len(eligible), finder.explain)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the finder runs: it makes tens of
    thousands of short-lived, acyclic rows, tuples and intervals, and each full pass the
    collector starts because of them walks the whole heap of the app (half the finder's
    time on 10,000 contractors). Reference counting frees them as usual; the collector
    resumes (if it ran before) when the finder is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
