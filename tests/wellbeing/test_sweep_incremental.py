"""The sweep measures only contractors whose exposure moved, yet misses nothing: late events,
a new policy version, and a new local day over the rolling cap still rotate."""

from __future__ import annotations

import copy
import datetime as dt

from sqlalchemy import select

from tests.wellbeing.exposure_helpers import consent, event, ingest_now
from tests.wellbeing.test_sweep import MORNING, NOW, rotations, run_sweep, setup, spread
from workforce import db
from workforce.exposure.models import ExposureRun
from workforce.exposure.policy import DEFAULT_POLICY, create_policy
from workforce.rotations.services import end_rotation

__all__ = ["setup"]  # the fixture, shared with test_sweep.py

HOUR = dt.timedelta(hours=1)


def test_only_contractors_whose_exposure_moved_are_measured(app, setup, new_contractor) -> None:
    cid, token = setup
    other = new_contractor(country="KE")
    consent(app, other)
    ingest_now(app, token, spread(cid, "a", MORNING + 8 * HOUR, 60), NOW)
    ingest_now(app, token, spread(other, "b", MORNING + 8 * HOUR, 60), NOW)
    assert run_sweep(app)["candidates"] == 2
    assert run_sweep(app, NOW + dt.timedelta(minutes=1))["candidates"] == 0
    ingest_now(app, token, [event("a-more", cid, NOW - HOUR, 600)], NOW)
    assert run_sweep(app, NOW + dt.timedelta(minutes=2))["candidates"] == 1


def test_a_late_event_of_an_older_run_still_counts(app, setup) -> None:
    """It adds to the day's total without moving the current run: the sweep must still
    see that the contractor's exposure moved."""
    cid, token = setup
    ingest_now(app, token, spread(cid, "a", MORNING + 8 * HOUR, 200), NOW)
    assert run_sweep(app)["rotations"] == 0
    with db.get_db(app).reader() as session:
        run = session.get(ExposureRun, cid)
        assert run is not None
        before = run.run(3)
    # 01:00-01:50 local, reported late: hours before the run that began at 08:00
    ingest_now(app, token, [event("late", cid, MORNING + HOUR, 50 * 60)], NOW)
    with db.get_db(app).reader() as session:
        run = session.get(ExposureRun, cid)
        assert run is not None and run.run(3) == before
    later = NOW + dt.timedelta(minutes=1)
    assert run_sweep(app, later)["rotations"] == 1
    (rotation,) = rotations(app)
    assert rotation.reason == "daily_limit" and rotation.explanation["measured"] == 250


def test_a_new_policy_version_measures_everyone_again(app, setup) -> None:
    cid, token = setup
    ingest_now(app, token, spread(cid, "a", MORNING + 8 * HOUR, 200), NOW)
    assert run_sweep(app)["rotations"] == 0
    assert run_sweep(app, NOW + dt.timedelta(minutes=1))["candidates"] == 0
    strict = copy.deepcopy(DEFAULT_POLICY)
    strict["tiers"][0]["daily_cap_minutes"] = {"value": 180, "note": "test"}
    strict["effective_from"] = NOW + dt.timedelta(minutes=2)
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, strict, now=NOW + dt.timedelta(minutes=1))
    assert run_sweep(app, NOW + dt.timedelta(minutes=3))["rotations"] == 1
    (rotation,) = rotations(app)
    assert rotation.explanation["policy_version"] == 2
    assert rotation.explanation["limit"] == 180


def test_over_the_rolling_cap_a_new_local_day_rotates_again_without_new_exposure(
    app, setup
) -> None:
    cid, token = setup
    # 240 minutes of tier 3 on each of four local days: today's cap and the rolling 960
    events = []
    for back in range(4):
        events += spread(cid, f"d{back}-", MORNING + 8 * HOUR - back * 24 * HOUR, 240)
    ingest_now(app, token, events, NOW)
    first = NOW
    for _ in range(2):  # daily, then weekly: ops end each early
        assert run_sweep(app, first)["rotations"] == 1
        with app.test_request_context(), db.transaction(app) as session:
            end_rotation(session, rotations(app)[-1].id, "reviewed", now=first + HOUR)
        first += 2 * HOUR
    assert [r.reason for r in rotations(app)] == ["daily_limit", "weekly_limit"]
    assert run_sweep(app, first)["rotations"] == 0  # today's breaches are all known
    assert run_sweep(app, first + HOUR)["candidates"] == 0
    tomorrow = NOW + dt.timedelta(hours=12)  # 05:00 local the next day, no new exposure
    assert run_sweep(app, tomorrow)["rotations"] == 1
    rotation = rotations(app)[-1]
    assert rotation.reason == "weekly_limit"
    assert rotation.explanation["window"]["to"] == "2026-03-21"
    with db.get_db(app).reader() as session:
        assert session.scalars(select(ExposureRun.changes)).one() == 1
