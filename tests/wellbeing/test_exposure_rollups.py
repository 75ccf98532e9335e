"""Roll-ups and runs always equal a recount from the raw events, whatever the batches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import empty_tables
from tests.factories import make_contractor
from tests.wellbeing.exposure_helpers import (
    contractor_days,
    daily,
    event,
    ingest_now,
    ingest_token,
    make_queues,
    per_contractor_day,
    recount,
)
from workforce import db
from workforce.contractors.models import Contractor
from workforce.exposure.ingest.runs import extend_run
from workforce.exposure.models import ExposureDaily, ExposureEvent, ExposureRun
from workforce.exposure.policy import current_policy

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
ZONES = ("Africa/Nairobi", "Asia/Manila", "America/Bogota", "America/New_York")

event_st = st.fixed_dictionaries(
    {
        "who": st.integers(0, len(ZONES) - 1),
        # four days back to now, to the second; New York changes to DST on 2026-03-08
        "offset": st.integers(0, 10 * 86400),
        "seconds": st.one_of(st.integers(0, 900), st.integers(0, 4 * 3600)),
        "queue": st.sampled_from(["gore", "gore-b", "hate", "spam", "safe"]),
        "items": st.integers(0, 5),
        "id": st.integers(0, 60),  # small: repeats are common
        "token": st.integers(0, 1),
    }
)


def _setup(app):
    empty_tables(app)
    make_queues(app)
    ids = []
    with db.transaction(app) as session:
        for zone in ZONES:
            country = "US" if zone == "America/New_York" else "KE"
            ids.append(make_contractor(session, country=country, timezone=zone))
    return ids, [ingest_token(app, "a"), ingest_token(app, "b")]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(event_st, min_size=1, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=4),
    repeat=st.booleans(),
)
def test_rollups_equal_a_recount_from_raw_events(app, events, cuts, repeat) -> None:
    contractors, tokens = _setup(app)
    bodies = [
        (
            e["token"],
            event(
                f"ev-{e['id']}",
                contractors[e["who"]],
                NOW - dt.timedelta(seconds=e["offset"]),
                e["seconds"],
                queue=e["queue"],
                items=e["items"],
            ),
        )
        for e in events
    ]
    bounds = sorted({0, len(bodies), *(c for c in cuts if c < len(bodies))})
    batches = [bodies[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    if repeat:
        batches += batches[:1]  # a retried batch
    accepted = 0
    for chunk in batches:
        for token in (0, 1):
            mine = [body for t, body in chunk if t == token]
            if mine:
                accepted += ingest_now(app, tokens[token], mine, NOW).accepted
    distinct = {(t, body["event_id"]) for t, body in bodies}
    assert accepted == len(distinct)
    expected = recount(app)
    assert daily(app) == expected
    # the per-day roll-up: the raw seconds, and the breaks of the detailed rows, per day
    assert contractor_days(app) == per_contractor_day(
        {key: seconds for key, (seconds, _items, _events) in expected.items()},
        _stored_breaks(app),
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    gaps=st.lists(st.tuples(st.integers(0, 40 * 60), st.integers(1, 50 * 60)), max_size=25),
    batch_size=st.integers(1, 6),
)
def test_runs_ingested_in_order_equal_a_recount(app, gaps, batch_size) -> None:
    """Events in time order, in batches of any size: the stored run of each tier is the last
    run a plain merge of all intervals (gaps shorter than the break join) finds."""
    contractors, tokens = _setup(app)
    cid = contractors[0]
    cursor = NOW - dt.timedelta(days=2)
    bodies, intervals = [], []
    for n, (gap, seconds) in enumerate(gaps):
        cursor += dt.timedelta(seconds=gap)
        queue = ("gore", "hate", "spam")[n % 3]
        bodies.append(event(f"r{n}", cid, cursor, seconds, queue=queue))
        intervals.append((cursor, cursor + dt.timedelta(seconds=seconds), 3 - n % 3))
        cursor += dt.timedelta(seconds=seconds)
    for start in range(0, len(bodies), batch_size):
        ingest_now(app, tokens[0], bodies[start : start + batch_size], NOW)
    with db.get_db(app).reader() as session:
        policy = current_policy(session, NOW)
        row = session.get(ExposureRun, cid)
        stored = {t: row.run(t) for t in (1, 2, 3)} if row is not None else {}
    for t in (1, 2, 3):
        gap = dt.timedelta(minutes=policy.tier(t).break_minutes or 0)
        mine = sorted((s, e) for s, e, tier in intervals if tier >= t)
        runs: list[list[dt.datetime]] = []
        for s, e in mine:
            if runs and s < runs[-1][1] + gap:
                runs[-1][1] = max(runs[-1][1], e)
            else:
                runs.append([s, e])
        expected = tuple(runs[-1]) if runs else None
        assert stored.get(t) == expected, t


def test_late_events_do_not_rewrite_the_current_run() -> None:
    gap = 15  # minutes, say
    state = extend_run(None, [(1000, 1030)], gap)
    # an event that ended long before the run started: an older run, reported late
    state = extend_run(state, [(800, 860)], gap)
    assert state == (1000, 1030)
    # one that ended within a break of the run's start joins it
    state = extend_run(state, [(960, 995)], gap)
    assert state == (960, 1030)
    # a break as long as the policy's starts a new run
    assert extend_run(state, [(1045, 1050)], gap) == (1045, 1050)


def _policy(app):
    with db.get_db(app).reader() as session:
        return current_policy(session, NOW)


def _stored_breaks(app) -> dict[tuple, tuple[int, int]]:
    with db.get_db(app).reader() as session:
        return {
            (r.contractor_id, r.local_day, r.tier, r.category, r.queue_id): (
                r.breaks_due,
                r.breaks_missed,
            )
            for r in session.scalars(select(ExposureDaily))
            if r.breaks_due or r.breaks_missed
        }


def _breaks_from_raw_events(app, policy) -> dict[tuple, tuple[int, int]]:
    """The definition of docs/reports.md applied to the raw events, taken in order of start:
    for each tier t, cut tier >= t exposure into runs (a gap of at least t's break ends one);
    in a run, the break falls due with the first event after which the run spans t's
    continuous limit, at the run's end E then; the first later event of the run that ends
    after E misses it. Both are counted on the row of the event's first local day."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    with db.get_db(app).reader() as session:
        zones = {c.id: ZoneInfo(c.timezone) for c in session.scalars(select(Contractor))}
        events = [
            (
                e.contractor_id,
                e.started_at,
                e.started_at + dt.timedelta(seconds=e.duration_seconds),
                e.tier,
                (
                    e.contractor_id,
                    e.started_at.astimezone(zones[e.contractor_id]).date(),
                    e.tier,
                    e.category or "",
                    e.queue_id,
                ),
            )
            for e in session.scalars(select(ExposureEvent).where(ExposureEvent.tier >= 1))
        ]
    for t in (1, 2, 3):
        rules = policy.tier(t)
        if not rules.continuous_limit_minutes:
            continue
        gap = dt.timedelta(minutes=rules.break_minutes or 0)
        limit = dt.timedelta(minutes=rules.continuous_limit_minutes)
        for cid in {e[0] for e in events}:
            mine = sorted((s, e, key) for c, s, e, tier, key in events if c == cid and tier >= t)
            runs: list[list[tuple]] = []
            latest = None
            for s, e, key in mine:
                if latest is None or s >= latest + gap:
                    runs.append([])
                    latest = e
                latest = max(latest, e)
                runs[-1].append((s, e, key))
            for run in runs:
                first, end, due_at = run[0][0], run[0][1], None
                for _s, e, key in run:
                    if due_at is not None and e > due_at:
                        counts[key][1] += 1
                        break
                    end = max(end, e)
                    if due_at is None and end - first >= limit:
                        due_at = end
                        counts[key][0] += 1
    return {key: (due, missed) for key, (due, missed) in counts.items()}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    work=st.lists(
        st.tuples(
            st.integers(0, 30 * 60),
            st.integers(1, 50 * 60),
            st.sampled_from(["gore", "gore-b", "hate", "spam"]),
        ),
        max_size=30,
    ),
    batch_size=st.integers(1, 8),
    who=st.integers(0, len(ZONES) - 1),
)
def test_breaks_due_and_missed_equal_a_recount_from_raw_events(app, work, batch_size, who) -> None:
    contractors, tokens = _setup(app)
    cid = contractors[who]
    cursor = NOW - dt.timedelta(days=2, hours=3)
    bodies = []
    for n, (gap, seconds, queue) in enumerate(work):
        cursor += dt.timedelta(seconds=gap)
        bodies.append(event(f"b{n}", cid, cursor, seconds, queue=queue))
        cursor += dt.timedelta(seconds=seconds)
    for start in range(0, len(bodies), batch_size):
        ingest_now(app, tokens[0], bodies[start : start + batch_size], NOW)
    expected = _breaks_from_raw_events(app, _policy(app))
    assert _stored_breaks(app) == expected
    seconds = {key: value[0] for key, value in recount(app).items()}
    assert contractor_days(app) == per_contractor_day(seconds, expected)


def test_a_break_taken_and_a_break_missed(app) -> None:
    """Tier 3 (60 min, then 15): 60 min of gore makes a break due; 20 min later is taken; a
    second hour followed 5 minutes later by more gore misses it (on the later event's row)."""
    contractors, tokens = _setup(app)
    cid = contractors[0]
    start = NOW - dt.timedelta(hours=6)
    bodies = [
        event("a", cid, start, 3600),
        event("b", cid, start + dt.timedelta(minutes=80), 3600),
        event("c", cid, start + dt.timedelta(minutes=145), 600, queue="gore-b"),
    ]
    ingest_now(app, tokens[0], bodies, NOW)
    stored = _stored_breaks(app)
    by_queue: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for key, (due, missed) in stored.items():
        by_queue[key[4]][0] += due
        by_queue[key[4]][1] += missed
    assert sorted(by_queue.values()) == [[0, 1], [2, 0]]  # gore: 2 due; gore-b: 1 missed
    assert stored == _breaks_from_raw_events(app, _policy(app))
