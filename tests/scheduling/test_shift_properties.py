"""Property: planning a shift through the service raises exactly the rules a brute-force
model says it breaks, in zones with and without DST, right across the transitions.

The model counts whole minutes: a minute belongs to the local week (Monday 00:00 local) in
which it starts, worked minutes are the union of shifts, and rest is the distance to the
closest shift that does not overlap. Nothing in it is shared with ``rules.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.factories import make_queue
from workforce import db
from workforce.contractors.services import create_contractor
from workforce.errors import Conflict
from workforce.scheduling.planning import create_shift

ZONES = {
    "America/Bogota": {"country": "CO"},  # no DST since 1993: the control
    "America/New_York": {"country": "US", "timezone": "America/New_York"},
    "Asia/Kolkata": {"country": "IN"},  # +05:30, no DST
    "Europe/London": {"country": "GB"},
}
MINUTE = dt.timedelta(minutes=1)
REST = dt.timedelta(hours=11)
LONGEST = dt.timedelta(hours=12)
WEEKLY_MINUTES = 48 * 60


@cache
def transitions(zone: str) -> tuple[dt.datetime, ...]:
    tz = ZoneInfo(zone)
    found = []
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    before = moment.astimezone(tz).utcoffset()
    while moment.year < 2028:
        moment += dt.timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != before:
            found.append(moment)
        before = offset
    return tuple(found)


Span = tuple[dt.datetime, dt.datetime]


def span(base: dt.datetime, offset_minutes: int, minutes: int) -> Span:
    start = base + offset_minutes * MINUTE
    return start, start + minutes * MINUTE


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[Span], Span]:
    zone = draw(st.sampled_from(sorted(ZONES)))
    if transitions(zone) and draw(st.booleans()):
        base = draw(st.sampled_from(transitions(zone)))
    else:
        base = dt.datetime(2026, 1, 5, tzinfo=dt.UTC) + dt.timedelta(days=draw(st.integers(0, 700)))
    kept: list[Span] = []
    if draw(st.booleans()):
        # a working week or two, back to back with short and long rests: weekly sums
        # near 48 h and rest gaps near 11 h
        at = base - dt.timedelta(minutes=15 * draw(st.integers(0, 8 * 96)))
        for _ in range(draw(st.integers(3, 11))):
            at += dt.timedelta(minutes=15 * draw(st.integers(0, 64)))
            kept.append(span(at, 0, 15 * draw(st.integers(16, 48))))
            at = kept[-1][1]
    else:
        quarter = st.integers(-6 * 96, 6 * 96).map(lambda q: 15 * q)
        for _ in range(draw(st.integers(0, 7))):
            candidate = span(base, draw(quarter), 15 * draw(st.integers(1, 48)))
            if all(candidate[1] <= a or b <= candidate[0] for a, b in kept):
                kept.append(candidate)  # stored shifts never overlap each other
    new = span(base, 15 * draw(st.integers(-2 * 96, 2 * 96)), 15 * draw(st.integers(1, 60)))
    return zone, kept, new


def local_week(minute: dt.datetime, tz: ZoneInfo) -> dt.date:
    day = minute.astimezone(tz).date()
    return day - dt.timedelta(days=day.weekday())


def minutes_of(s: Span) -> list[dt.datetime]:
    start, end = s
    return [start + n * MINUTE for n in range(int((end - start) / MINUTE))]


def expected_codes(zone: str, existing: list[Span], new: Span) -> set[str]:
    tz = ZoneInfo(zone)
    codes = set()
    apart = [s for s in existing if s[1] <= new[0] or new[1] <= s[0]]
    if len(apart) < len(existing):
        codes.add("overlap")
    gaps = [new[0] - s[1] if s[1] <= new[0] else s[0] - new[1] for s in apart]
    if any(gap < REST for gap in gaps):
        codes.add("rest_too_short")
    if new[1] - new[0] > LONGEST:
        codes.add("shift_too_long")
    worked = set()
    for s in [*existing, new]:
        worked.update(minutes_of(s))
    per_week = Counter(local_week(m, tz) for m in worked)
    if any(per_week[w] > WEEKLY_MINUTES for w in {local_week(m, tz) for m in minutes_of(new)}):
        codes.add("weekly_hours_exceeded")
    return codes


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenarios())
def test_service_raises_exactly_the_rules_broken(app, case) -> None:
    zone, existing, new = case
    with app.app_context():
        session = db.get_db(app).writer()
        try:  # each example in its own transaction, rolled back: nothing to clean up
            contractor = create_contractor(
                session, {"full_name": "P", "email": "p@example.org", **ZONES[zone]}
            )
            assert contractor.timezone == zone
            queue_id = make_queue(session, slug="prop")
            for start, end in existing:
                create_shift(
                    session,
                    {
                        "contractor_id": contractor.id,
                        "queue_id": queue_id,
                        "starts_at": start,
                        "ends_at": end,
                        "override_reason": "setting the scene",
                    },
                )
            body = {
                "contractor_id": contractor.id,
                "queue_id": queue_id,
                "starts_at": new[0],
                "ends_at": new[1],
            }
            try:
                create_shift(session, body)
                raised: set[str] = set()
            except Conflict as conflict:
                raised = {b["code"] for b in conflict.extra["breaches"]}
            assert raised == expected_codes(zone, existing, new)
            for code in sorted(raised) or ["none"]:
                event(code)  # --hypothesis-show-statistics: every rule gets exercised
            tz = ZoneInfo(zone)
            if any(
                new[0].astimezone(tz).utcoffset() != m.astimezone(tz).utcoffset()
                for s in existing
                for m in s
            ):
                event("offset changes between the shifts")
            if raised and "overlap" not in raised:
                # ops may override every hour rule, never an overlap
                shift = create_shift(session, {**body, "override_reason": "agreed"})
                assert shift.override_reason == "agreed"
        finally:
            session.rollback()
            session.close()
