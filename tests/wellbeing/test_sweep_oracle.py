"""The sweep against an oracle: random exposure histories (through the real ingest service)
and random policies; a plain recount from the raw events says who breaches which rule, and
the sweep must rotate exactly those, for that rule, once."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import empty_tables
from tests.factories import make_contractor
from tests.wellbeing.exposure_helpers import event, ingest_now, ingest_token, make_queues, recount
from workforce import db
from workforce.exposure.policy import DEFAULT_POLICY, create_policy
from workforce.rotations.models import Rotation
from workforce.rotations.sweep import sweep

NOW = dt.datetime(2026, 6, 10, 15, 30, tzinfo=dt.UTC)
ZONES = ("UTC", "Africa/Nairobi", "Asia/Manila", "America/Bogota", "Pacific/Kiritimati")
#: Policy versions are cached by their newest version's creation instant: give each example's
#: version its own instant (every example starts from empty tables).
_created = itertools.count(1)


def limit(value: int | None) -> dict[str, Any]:
    return {"value": value, "note": "hypothesis"}


tier_st = st.fixed_dictionaries(
    {
        "daily": st.integers(20, 900),
        "weekly": st.one_of(st.none(), st.integers(600, 3000)),
        "days": st.one_of(st.none(), st.integers(1, 3)),
        "cooldown": st.sampled_from((None, 1, 24, 48, 72)),
    }
)
#: One local day of a contractor's history: None (off), or work on a queue from a local hour.
work_st = st.tuples(
    st.sampled_from(("gore", "hate", "spam")),
    st.integers(0, 23),  # local start hour
    st.integers(10, 600),  # minutes, posted as events of at most 4 hours
)
day_st = st.one_of(work_st, st.none(), work_st)  # mostly working days
#: Nine local days per contractor, ending today.
history_st = st.lists(day_st, min_size=9, max_size=9)


def make_policy(app, tiers: dict[int, dict[str, Any]]) -> None:
    body: dict[str, Any] = {
        "name": "random",
        "planned_rotation": DEFAULT_POLICY["planned_rotation"],
    }
    body["checkin"] = DEFAULT_POLICY["checkin"]
    body["tiers"] = [
        {
            "tier": t,
            "daily_cap_minutes": limit(r["daily"]),
            "continuous_limit_minutes": limit(None),
            "break_minutes": limit(None),
            "weekly_cap_minutes": limit(r["weekly"]),
            "max_consecutive_days": limit(r["days"]),
            "cooldown_hours": limit(r["cooldown"]),
        }
        for t, r in tiers.items()
    ]
    created = NOW - dt.timedelta(seconds=30) + dt.timedelta(microseconds=next(_created))
    body["effective_from"] = created
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, body, now=created)


def oracle(
    app, zones: dict[int, str], tiers: dict[int, dict[str, Any]]
) -> dict[int, tuple[str, int, int]]:
    """Contractor -> (rule, tier, measured) of the first breach, tier 3 first, then daily,
    rolling 7-day, consecutive days; from a recount of the raw events (not the roll-ups)."""
    per_day: dict[tuple[int, int], dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for (cid, day, tier, _category, _queue), (seconds, _items, _n) in recount(app).items():
        for t in (2, 3):
            if tier >= t:
                per_day[(cid, t)][day] += seconds
    expected = {}
    for cid, zone in zones.items():
        today = NOW.astimezone(ZoneInfo(zone)).date()
        for t in (3, 2):
            rules, days = tiers[t], per_day[(cid, t)]
            if rules["cooldown"] is None:
                continue
            week = sum(days[today - dt.timedelta(days=k)] for k in range(7))
            # runs are counted within the policy's history window (Policy.history_days),
            # so a longer run shows as the window's length, already past any day limit
            window = max(7, max((r["days"] or 0) for r in tiers.values()) + 1)
            before = 0
            while before < window and days[today - dt.timedelta(days=before + 1)] > 0:
                before += 1
            found = []
            if days[today] >= rules["daily"] * 60:
                found.append(("daily_limit", t, days[today] // 60))
            if rules["weekly"] is not None and week >= rules["weekly"] * 60:
                found.append(("weekly_limit", t, week // 60))
            if rules["days"] is not None and days[today] > 0 and before >= rules["days"]:
                found.append(("consecutive_days", t, before + 1))
            if found:
                expected[cid] = found[0]
                break
    return expected


@pytest.mark.slow
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    tiers=st.fixed_dictionaries({3: tier_st, 2: tier_st, 1: tier_st}),
    people=st.lists(st.tuples(st.sampled_from(ZONES), history_st), min_size=1, max_size=3),
)
def test_the_sweep_rotates_exactly_the_oracles_breaches_once(app, tiers, people) -> None:
    empty_tables(app)
    make_queues(app)
    make_policy(app, tiers)
    zones, bodies = {}, []
    with app.app_context(), db.transaction(app) as session:
        for zone, _history in people:
            zones[make_contractor(session, timezone=zone)] = zone
    for (cid, zone), (_zone, history) in zip(zones.items(), people, strict=True):
        today = NOW.astimezone(ZoneInfo(zone)).date()
        for back, work in enumerate(history):
            if work is None:
                continue
            queue, hour, minutes = work
            day = today - dt.timedelta(days=8 - back)
            cursor = dt.datetime.combine(day, dt.time(hour), ZoneInfo(zone)).astimezone(dt.UTC)
            while minutes > 0 and cursor < NOW:
                seconds = min(minutes, 240, int((NOW - cursor).total_seconds()) // 60) * 60
                if seconds == 0:
                    break
                bodies.append(event(f"e{len(bodies)}", cid, cursor, seconds, queue=queue))
                cursor += dt.timedelta(seconds=seconds)
                minutes -= seconds // 60
    if bodies:
        ingest_now(app, ingest_token(app), bodies, NOW)
    expected = oracle(app, zones, tiers)

    with app.test_request_context(), db.transaction(app) as session:
        first = sweep(session, NOW)
    with app.test_request_context(), db.transaction(app) as session:
        second = sweep(session, NOW)
    with db.get_db(app).reader() as session:
        rotations = session.scalars(select(Rotation)).all()
        got = {
            r.contractor_id: (r.reason, r.explanation["tier"], r.explanation["measured"])
            for r in rotations
        }
        cooldowns = {r.contractor_id: r.ends_at - r.started_at for r in rotations}
    for rule, _tier, _measured in expected.values():
        hypothesis_event(rule)  # `pytest --hypothesis-show-statistics` shows the mix
    target(float(len(expected)))
    assert len(rotations) == len(got)  # one per contractor
    assert got == expected
    assert first["rotations"] == len(expected) and second["rotations"] == 0
    for cid, (_rule, tier, _measured) in expected.items():
        assert cooldowns[cid] == dt.timedelta(hours=tiers[tier]["cooldown"])
