"""Shift rules, checked against brute force over whole minutes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.errors import Conflict, InvalidInput
from workforce.scheduling.rules import (
    Interval,
    RuleBreach,
    ShiftLimits,
    check_shift,
    is_hour_rule,
    raise_breaches,
    raise_first,
)

ZONES = [
    "America/Bogota",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "Australia/Sydney",
    "Africa/Nairobi",
]
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = NEW_YORK
) -> datetime:
    """A local wall time in ``tz`` (none of the examples sits in a gap or fold)."""
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def codes(breaches: list[RuleBreach]) -> list[str]:
    return [b.code for b in breaches]


@cache
def transition_instants(zone: str) -> tuple[datetime, ...]:
    """UTC instants (to the hour) at which the offset changes, by an hourly scan 2024-2029."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment.year < 2030:
        moment += timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(moment)
        previous = offset
    return tuple(found)


@dataclass
class Scenario:
    zone: str
    candidate: Interval
    existing: list[Interval]
    limits: ShiftLimits


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    changes = transition_instants(zone)
    if len(changes) > 0 and draw(st.booleans()):
        anchor = draw(st.sampled_from(changes))  # shifts around a DST week
    else:
        anchor = datetime(2024, 1, 1, tzinfo=UTC) + MINUTE * draw(st.integers(0, 6 * 525_600))

    def shift(spread_days: int, longest_hours: int, shift_id: int | None) -> Interval:
        start = anchor + MINUTE * draw(st.integers(-spread_days * 1440, spread_days * 1440))
        # durations in whole minutes, biased to "real" lengths and to the 12 h limit
        minutes = draw(
            st.sampled_from([360, 480, 600, 720, 721]) | st.integers(1, longest_hours * 60)
        )
        end = start + MINUTE * minutes
        if draw(st.booleans()):
            # same instants in the contractor's zone: Python subtracts and compares
            # datetimes sharing a tzinfo by wall clock, which the rules must not do
            tz = ZoneInfo(zone)
            start, end = start.astimezone(tz), end.astimezone(tz)
        return Interval(start, end, shift_id)

    existing = [shift(9, 14, n) for n in range(1, draw(st.integers(0, 9)) + 1)]
    ids = [e.id for e in existing]
    candidate_id = draw(st.none() | st.sampled_from(ids)) if ids else None
    candidate = shift(4, 20, candidate_id)
    limits = ShiftLimits(
        rest_hours=draw(st.sampled_from([11, 0, 1, 8]) | st.integers(0, 16)),
        max_shift_hours=draw(st.sampled_from([12]) | st.integers(1, 16)),
        weekly_hours=draw(st.sampled_from([48]) | st.integers(1, 60)),
    )
    return Scenario(zone, candidate, existing, limits)


def minute_span(interval: Interval, origin: datetime) -> range:
    """The whole minutes ``[start, end)`` covers, as indexes from ``origin``."""
    start, end = interval.start.astimezone(UTC), interval.end.astimezone(UTC)
    return range((start - origin) // MINUTE, (end - origin) // MINUTE)


@pytest.mark.slow
@settings(max_examples=250, deadline=None)
@given(scenarios())
def test_rules_match_brute_force_over_minutes(s: Scenario) -> None:
    tz = ZoneInfo(s.zone)
    breaches = check_shift(s.candidate, s.existing, tz, s.limits)
    # the stored version of an update is replaced, so it is not "another" shift
    others = [e for e in s.existing if s.candidate.id is None or e.id != s.candidate.id]
    origin = min(i.start.astimezone(UTC) for i in [*others, s.candidate]) - timedelta(days=2)
    cand = set(minute_span(s.candidate, origin))

    # overlap: shares at least one minute
    overlapping = {o.id for o in others if cand & set(minute_span(o, origin))}
    assert {b.extra["other_shift_id"] for b in breaches if b.code == "overlap"} == overlapping

    # rest: walk minute by minute away from the candidate to the nearest other shift
    rest_limit = int(s.limits.rest_hours * 60)
    covering: dict[int, set[int | None]] = {}
    for other in others:
        if other.id not in overlapping:
            for m in minute_span(other, origin):
                covering.setdefault(m, set()).add(other.id)
    first, last = min(cand), max(cand)
    expected_rest = {}
    for side, minutes in (
        ("before", range(first - 1, first - 1 - rest_limit, -1)),
        ("after", range(last + 1, last + 1 + rest_limit)),
    ):
        for gap, m in enumerate(minutes):
            if m in covering:
                expected_rest[side] = (gap * 60, covering[m])
                break
    rest = {b.extra["side"]: b for b in breaches if b.code == "rest_too_short"}
    assert set(rest) == set(expected_rest)
    for side, (gap_seconds, ids) in expected_rest.items():
        assert rest[side].extra["gap_seconds"] == gap_seconds
        assert rest[side].extra["other_shift_id"] in ids
        shown = Fraction(Decimal(rest[side].extra["gap_hours"]))
        assert Fraction(gap_seconds, 3600) - Fraction(1, 100) < shown <= Fraction(gap_seconds, 3600)

    # shift length
    too_long = len(cand) > s.limits.max_shift_hours * 60
    assert ("shift_too_long" in codes(breaches)) == too_long

    # weekly hours: label every worked minute with its local ISO week, count, compare
    worked: set[int] = set(cand)
    for other in others:
        worked.update(minute_span(other, origin))

    def week_of(m: int) -> str:
        local_day = (origin + MINUTE * m).astimezone(tz).date()
        return (local_day - timedelta(days=local_day.weekday())).isoformat()

    per_week = Counter(week_of(m) for m in worked)
    touched = {week_of(m) for m in cand}
    expected_weeks = {
        week: per_week[week] * 60 for week in touched if per_week[week] > s.limits.weekly_hours * 60
    }
    weekly = {b.extra["week_start"]: b for b in breaches if b.code == "weekly_hours_exceeded"}
    assert {w: b.extra["worked_seconds"] for w, b in weekly.items()} == expected_weeks
    for week, breach in weekly.items():
        exact = Fraction(expected_weeks[week], 3600)
        assert exact <= Fraction(Decimal(breach.extra["hours"])) < exact + Fraction(1, 100)
        assert breach.extra["limit"] == s.limits.weekly_hours

    # most severe first, and nothing else is reported
    order = ["overlap", "rest_too_short", "shift_too_long", "weekly_hours_exceeded"]
    assert codes(breaches) == sorted(codes(breaches), key=order.index)


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_update_never_conflicts_with_its_own_old_version(s: Scenario) -> None:
    if not s.existing:
        return
    stored = s.existing[0]
    later = timedelta(minutes=30)
    moved = Interval(stored.start + later, stored.end + later, stored.id)
    for candidate in (stored, moved):
        for breach in check_shift(candidate, s.existing, ZoneInfo(s.zone), s.limits):
            assert breach.extra.get("other_shift_id") != stored.id
    # without the id it is a new shift, and the same times do overlap
    as_new = Interval(stored.start, stored.end)
    found = check_shift(as_new, s.existing, ZoneInfo(s.zone), s.limits)
    assert stored.id in {b.extra["other_shift_id"] for b in found if b.code == "overlap"}


def test_brief_example_week_of_fifty_hours() -> None:
    existing = [Interval(at(2026, 3, d, 8), at(2026, 3, d, 18), id=d) for d in (9, 10, 11, 12)]
    candidate = Interval(at(2026, 3, 13, 8), at(2026, 3, 13, 18))
    breaches = check_shift(candidate, existing, NEW_YORK, ShiftLimits(rest_hours=11))
    assert codes(breaches) == ["weekly_hours_exceeded"]
    assert breaches[0].extra == {
        "week_start": "2026-03-09",
        "hours": "50.0",
        "worked_seconds": 50 * 3600,
        "limit": 48,
    }


def test_exactly_the_weekly_limit_is_allowed() -> None:
    existing = [Interval(at(2026, 3, d, 8), at(2026, 3, d, 20), id=d) for d in (9, 10, 11)]
    candidate = Interval(at(2026, 3, 13, 8), at(2026, 3, 13, 20))
    assert check_shift(candidate, existing, NEW_YORK, ShiftLimits()) == []
    one_more = Interval(candidate.start, candidate.end + MINUTE)
    limits = ShiftLimits(max_shift_hours=13)
    assert codes(check_shift(one_more, existing, NEW_YORK, limits)) == ["weekly_hours_exceeded"]


def test_shift_across_week_boundary_counts_in_both_weeks() -> None:
    # Sunday 18:00 to Monday 04:00 EST, the day US DST ends: 6 h then 4 h
    candidate = Interval(at(2026, 11, 1, 18), at(2026, 11, 2, 4))
    hours = {
        b.extra["week_start"]: b.extra["hours"]
        for b in check_shift(candidate, [], NEW_YORK, ShiftLimits(weekly_hours=3))
    }
    assert hours == {"2026-10-26": "6.0", "2026-11-02": "4.0"}
    only_first = check_shift(candidate, [], NEW_YORK, ShiftLimits(weekly_hours=5))
    assert [b.extra["week_start"] for b in only_first] == ["2026-10-26"]


def test_week_of_169_real_hours_is_counted_in_real_hours() -> None:
    # Mon 26 Oct 00:00 EDT to Mon 2 Nov 00:00 EST is 169 h; fill it all
    candidate = Interval(at(2026, 10, 26, 0), at(2026, 11, 2, 0))
    (weekly,) = [
        b
        for b in check_shift(candidate, [], NEW_YORK, ShiftLimits())
        if b.code == "weekly_hours_exceeded"
    ]
    assert weekly.extra["hours"] == "169.0"
    spring = Interval(at(2026, 3, 2, 0), at(2026, 3, 9, 0))
    (weekly,) = [
        b
        for b in check_shift(spring, [], NEW_YORK, ShiftLimits())
        if b.code == "weekly_hours_exceeded"
    ]
    assert weekly.extra["hours"] == "167.0"


def test_week_follows_local_midnight_not_utc() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    # Monday 00:00-04:00 IST is Sunday 18:30-22:30 UTC, still the new local week
    candidate = Interval(at(2026, 3, 9, 0, tz=kolkata), at(2026, 3, 9, 4, tz=kolkata))
    (breach,) = check_shift(candidate, [], kolkata, ShiftLimits(weekly_hours=3))
    assert breach.extra["week_start"] == "2026-03-09"
    assert breach.extra["hours"] == "4.0"


@pytest.mark.parametrize(
    ("gap", "breached", "shown"),
    [
        (timedelta(0), True, "0.0"),
        (timedelta(hours=10, minutes=59), True, "10.98"),
        (timedelta(hours=10, minutes=59, seconds=59), True, "10.99"),
        (timedelta(hours=11), False, None),
    ],
)
def test_rest_gap_on_both_sides(gap: timedelta, breached: bool, shown: str | None) -> None:
    candidate = Interval(at(2026, 3, 10, 8), at(2026, 3, 10, 16))
    before = Interval(candidate.start - gap - timedelta(hours=8), candidate.start - gap, id=1)
    after = Interval(candidate.end + gap, candidate.end + gap + timedelta(hours=8), id=2)
    for other, side in ((before, "before"), (after, "after")):
        breaches = check_shift(candidate, [other], NEW_YORK, ShiftLimits())
        if not breached:
            assert breaches == []
            continue
        assert codes(breaches) == ["rest_too_short"]
        assert breaches[0].extra == {
            "gap_hours": shown,
            "gap_seconds": gap // timedelta(seconds=1),
            "limit": 11,
            "side": side,
            "other_shift_id": other.id,
        }


def test_rest_is_measured_to_the_nearest_shift_only() -> None:
    candidate = Interval(at(2026, 3, 10, 20), at(2026, 3, 11, 4))
    far = Interval(at(2026, 3, 10, 0), at(2026, 3, 10, 6), id=1)  # 14 h before
    near = Interval(at(2026, 3, 10, 8), at(2026, 3, 10, 12), id=2)  # 8 h before
    (breach,) = check_shift(candidate, [far, near], NEW_YORK, ShiftLimits())
    assert breach.extra["other_shift_id"] == 2
    assert breach.extra["gap_hours"] == "8.0"


def test_rest_gap_over_dst_change_is_real_time() -> None:
    # 22:00 EDT Saturday to 08:00 EST Sunday reads as 10 h but is 11 real hours
    previous = Interval(at(2026, 10, 31, 14), at(2026, 10, 31, 22), id=1)
    candidate = Interval(at(2026, 11, 1, 8), at(2026, 11, 1, 16))
    assert check_shift(candidate, [previous], NEW_YORK, ShiftLimits()) == []


@pytest.mark.parametrize(
    ("length", "breached"),
    [(timedelta(hours=12), False), (timedelta(hours=12, minutes=1), True)],
)
def test_shift_length_limit(length: timedelta, breached: bool) -> None:
    candidate = Interval(at(2026, 3, 10, 6), at(2026, 3, 10, 6) + length)
    breaches = check_shift(candidate, [], NEW_YORK, ShiftLimits())
    assert codes(breaches) == (["shift_too_long"] if breached else [])
    if breached:
        assert breaches[0].extra == {"hours": "12.02", "limit": 12}


def test_adjacent_shifts_do_not_overlap_but_have_no_rest() -> None:
    existing = Interval(at(2026, 3, 10, 8), at(2026, 3, 10, 16), id=7)
    candidate = Interval(at(2026, 3, 10, 16), at(2026, 3, 10, 20))
    assert codes(check_shift(candidate, [existing], NEW_YORK, ShiftLimits())) == ["rest_too_short"]


def test_overlap_names_every_other_shift() -> None:
    a = Interval(at(2026, 3, 10, 8), at(2026, 3, 10, 12), id=1)
    b = Interval(at(2026, 3, 10, 13), at(2026, 3, 10, 17), id=2)
    candidate = Interval(at(2026, 3, 10, 11), at(2026, 3, 10, 14))
    breaches = check_shift(candidate, [b, a], NEW_YORK, ShiftLimits())
    assert codes(breaches) == ["overlap", "overlap"]
    assert [x.extra["other_shift_id"] for x in breaches] == [1, 2]


def test_invalid_candidate() -> None:
    start = at(2026, 3, 10, 8)
    with pytest.raises(InvalidInput) as caught:
        check_shift(Interval(start, start), [], NEW_YORK, ShiftLimits())
    assert list(caught.value.errors) == ["ends_at"]
    with pytest.raises(ValueError, match="timezone-aware"):
        check_shift(Interval(datetime(2026, 3, 10, 8), datetime(2026, 3, 10, 9)), [], NEW_YORK)


def test_raise_breaches_carries_all_of_them() -> None:
    breaches = [
        RuleBreach("rest_too_short", "rest", {"gap_hours": "1.0"}),
        RuleBreach("weekly_hours_exceeded", "week", {"hours": "50.0"}),
    ]
    with pytest.raises(Conflict) as caught:
        raise_breaches(breaches)
    error = caught.value
    assert (error.status, error.code, error.detail) == (409, "rest_too_short", "rest")
    assert error.extra["gap_hours"] == "1.0"
    assert error.extra["breaches"] == [
        {"code": "rest_too_short", "detail": "rest", "gap_hours": "1.0"},
        {"code": "weekly_hours_exceeded", "detail": "week", "hours": "50.0"},
    ]
    raise_breaches([])  # nothing to raise
    raise_breaches(breaches, override_hour_rules=True)  # ops gave a reason
    with pytest.raises(Conflict) as caught:
        raise_breaches([*breaches, RuleBreach("overlap", "o", {})], override_hour_rules=True)
    assert caught.value.code == "overlap"
    assert [b["code"] for b in caught.value.extra["breaches"]] == ["overlap"]


def test_raise_first() -> None:
    raise_first([])
    with pytest.raises(Conflict) as caught:
        raise_first([RuleBreach("overlap", "o", {"other_shift_id": 3})])
    assert caught.value.code == "overlap"
    assert caught.value.extra == {"other_shift_id": 3}


@pytest.mark.parametrize(
    ("code", "overridable"),
    [
        ("rest_too_short", True),
        ("shift_too_long", True),
        ("weekly_hours_exceeded", True),
        ("overlap", False),
        ("not_eligible", False),
    ],
)
def test_is_hour_rule(code: str, overridable: bool) -> None:
    assert is_hour_rule(code) is overridable


def test_ceiling_of_hours_is_never_below_the_measure() -> None:
    # 48 h 1 s must not be shown as "48.0", which would read as within the limit
    existing = [Interval(at(2026, 3, d, 8), at(2026, 3, d, 20), id=d) for d in (9, 10, 11)]
    candidate = Interval(at(2026, 3, 13, 8), at(2026, 3, 13, 20, 0) + timedelta(seconds=1))
    (breach,) = check_shift(candidate, existing, NEW_YORK, ShiftLimits(max_shift_hours=13))
    assert breach.extra["hours"] == "48.01"
    assert breach.extra["worked_seconds"] == 48 * 3600 + 1
