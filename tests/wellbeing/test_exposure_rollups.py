"""Roll-ups and runs always equal a recount from the raw events, whatever the batches."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import empty_tables
from tests.wellbeing.exposure_helpers import (
    daily,
    event,
    ingest_now,
    ingest_token,
    make_queues,
    recount,
)
from workforce import db
from workforce.contractors.services import create_contractor
from workforce.wellbeing.exposure import ExposureRun, extend_run
from workforce.wellbeing.policy import current_policy

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
ZONES = ("Africa/Nairobi", "Asia/Manila", "America/Bogota", "America/New_York")

event_st = st.fixed_dictionaries(
    {
        "who": st.integers(0, len(ZONES) - 1),
        # four days back to now, to the second; New York changes to DST on 2026-03-08
        "offset": st.integers(0, 10 * 86400),
        "seconds": st.one_of(st.integers(0, 900), st.integers(0, 4 * 3600)),
        "queue": st.sampled_from(["gore", "hate", "spam", "safe"]),
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
        for n, zone in enumerate(ZONES):
            ids.append(
                create_contractor(
                    session,
                    {
                        "full_name": f"P{n}",
                        "email": f"p{n}@example.org",
                        "country": "US" if zone == "America/New_York" else "KE",
                        "timezone": zone,
                    },
                ).id
            )
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
    assert daily(app) == recount(app)


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
