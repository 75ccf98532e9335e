"""Eligibility grows exposure reasons: daily_limit, weekly_limit, consecutive_days, break_due."""

from __future__ import annotations

import copy
import datetime as dt
import re
import tempfile

import pytest
from sqlalchemy import select

from tests.wellbeing.exposure_helpers import consent, event, ingest_now, ingest_token, make_queues
from workforce import db
from workforce.eligibility import check as eligibility
from workforce.exposure.policy import DEFAULT_POLICY, create_policy
from workforce.queues.models import Queue

# Nairobi, UTC+3: local noon on 2026-03-20.
NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
TODAY_START = dt.datetime(2026, 3, 19, 21, 0, tzinfo=dt.UTC)  # local midnight


@pytest.fixture
def setup(app, new_contractor):
    make_queues(app)
    cid = new_contractor(country="KE")
    consent(app, cid)
    return cid, ingest_token(app)


def spread(cid: int, prefix: str, start: dt.datetime, minutes: int, queue: str = "gore"):
    """``minutes`` of exposure from ``start`` as 20-minute items with 20-minute breaks
    (never a continuous run long enough to need a break)."""
    events, n, cursor = [], 0, start
    while minutes > 0:
        length = min(20, minutes)
        events.append(event(f"{prefix}{n}", cid, cursor, length * 60, queue=queue))
        minutes -= length
        n += 1
        cursor += dt.timedelta(minutes=40)
    return events


def check(app, cid: int, slug: str, at: dt.datetime = NOW) -> eligibility.Eligibility:
    with db.get_db(app).reader() as session:
        return eligibility.check_by_slug(session, cid, slug, at)


def test_no_exposure_no_reasons(app, setup) -> None:
    cid, _ = setup
    answer = check(app, cid, "gore")
    assert answer.eligible and answer.reasons == []
    assert answer.remaining_minutes_today == 240
    assert check(app, cid, "spam").remaining_minutes_today == 480
    assert check(app, cid, "safe").remaining_minutes_today is None


def test_daily_cap_of_the_queue_tier(app, setup) -> None:
    cid, token = setup
    ingest_now(app, token, spread(cid, "d", TODAY_START + dt.timedelta(hours=1), 240), NOW)
    gore = check(app, cid, "gore", NOW + dt.timedelta(hours=3))
    assert gore.reasons == ["daily_limit"]
    assert gore.remaining_minutes_today == 0
    # Tier 2 and 1 caps count the tier-3 minutes too, but are not reached yet.
    assert check(app, cid, "hate", NOW + dt.timedelta(hours=3)).remaining_minutes_today == 120
    assert check(app, cid, "spam", NOW + dt.timedelta(hours=3)).remaining_minutes_today == 240


def test_caps_count_every_minute_whatever_the_mitigation_or_weight(app, setup) -> None:
    """Blurred, greyscale video under a policy that weighs video at 0.1 still fills the cap:
    weights are for the reports only (docs/exposure.md, "Modality and mitigations")."""
    cid, token = setup
    data = copy.deepcopy(DEFAULT_POLICY)
    data["modality_weights"] = {"video": {"value": 0.1, "note": "an operator's study"}}
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, {**data, "effective_from": TODAY_START}, now=TODAY_START)
    events = spread(cid, "m", TODAY_START + dt.timedelta(hours=1), 240)
    for e in events:
        e.update(modality="video", mitigations=["greyscale", "blurred"])
    ingest_now(app, token, events, NOW)
    gore = check(app, cid, "gore", NOW + dt.timedelta(hours=3))
    assert gore.reasons == ["daily_limit"]
    assert gore.remaining_minutes_today == 0


def test_the_broad_tier_one_cap_also_closes_higher_tiers(app, setup) -> None:
    cid, token = setup
    start = TODAY_START + dt.timedelta(minutes=30)
    ingest_now(app, token, spread(cid, "s", start, 480, queue="spam"), NOW + dt.timedelta(hours=12))
    later = NOW + dt.timedelta(hours=8)
    assert check(app, cid, "spam", later).reasons == ["daily_limit"]
    assert check(app, cid, "gore", later).reasons == ["daily_limit"]
    assert check(app, cid, "safe", later).eligible


def test_the_day_is_the_contractors_local_day(app, setup) -> None:
    cid, token = setup
    # 240 minutes ending just before local midnight: yesterday's exposure.
    start = TODAY_START - dt.timedelta(hours=8)
    ingest_now(app, token, spread(cid, "y", start, 240), NOW)
    assert check(app, cid, "gore").eligible
    assert check(app, cid, "gore", TODAY_START - dt.timedelta(minutes=1)).reasons == ["daily_limit"]


def test_rolling_seven_day_cap(app, setup) -> None:
    cid, token = setup
    events = []
    for back in (6, 5, 3, 2):  # never four days in a row; today is day 0
        day = TODAY_START - dt.timedelta(days=back) + dt.timedelta(hours=8)
        events += spread(cid, f"w{back}-", day, 240)
    ingest_now(app, token, events, NOW)
    answer = check(app, cid, "gore")
    assert answer.reasons == ["weekly_limit"]
    # The tier-2 weekly cap (1,440) is far away.
    assert check(app, cid, "hate").eligible
    # A week after the first of those days, it has rolled out of the window.
    assert check(app, cid, "gore", NOW + dt.timedelta(days=1)).eligible


def test_consecutive_days(app, setup) -> None:
    cid, token = setup
    events = []
    for back in (4, 3, 2, 1):
        day = TODAY_START - dt.timedelta(days=back) + dt.timedelta(hours=8)
        events += spread(cid, f"c{back}-", day, 10)
    ingest_now(app, token, events, NOW)
    assert check(app, cid, "gore").reasons == ["consecutive_days"]
    assert check(app, cid, "hate").eligible  # tier 2 allows 5 days in a row
    # After a day without tier-3 work the count starts again.
    assert check(app, cid, "gore", NOW + dt.timedelta(days=1)).eligible


def test_break_due_after_a_continuous_run(app, setup) -> None:
    cid, token = setup
    start = NOW - dt.timedelta(minutes=70)
    # 66 minutes of tier-3 work with short pauses (shorter than the 15-minute break)
    events = [event(f"b{n}", cid, start + dt.timedelta(minutes=n * 6.1), 5 * 60) for n in range(11)]
    ingest_now(app, token, events, NOW)
    answer = check(app, cid, "gore")
    assert answer.reasons == ["break_due"]
    until = dt.datetime.fromisoformat(answer.details["exposure"]["break_until"])
    run_end = start + dt.timedelta(minutes=10 * 6.1, seconds=300)
    assert until == run_end + dt.timedelta(minutes=15)
    assert check(app, cid, "spam").eligible  # tier 1 allows 120 minutes
    assert check(app, cid, "gore", until).eligible


def test_a_break_as_long_as_the_policy_ends_the_run(app, setup) -> None:
    cid, token = setup
    start = NOW - dt.timedelta(minutes=120)
    events = [
        event("first", cid, start, 40 * 60),
        event("second", cid, start + dt.timedelta(minutes=55), 40 * 60),  # 15-minute gap
    ]
    ingest_now(app, token, events, NOW)
    assert check(app, cid, "gore", start + dt.timedelta(minutes=100)).eligible
    closer = [event("third", cid, start + dt.timedelta(minutes=95) + dt.timedelta(minutes=14), 600)]
    ingest_now(app, token, closer, NOW)
    assert "break_due" in check(app, cid, "gore", start + dt.timedelta(minutes=120)).reasons


def _statements_run(session, work) -> int:
    """How many statements ``work()`` sends to the database, counted by the database
    driver (SQLite's trace callback, libpq's protocol trace): eligibility reads with plain
    DB-API cursors, below SQLAlchemy's events."""
    raw = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "sqlite":
        statements: list[str] = []
        raw.set_trace_callback(statements.append)
        try:
            work()
        finally:
            raw.set_trace_callback(None)
        return len(statements)

    # PostgreSQL: libpq's protocol trace, one Parse or Query message per statement sent
    with tempfile.TemporaryFile() as trace:
        raw.pgconn.trace(trace.fileno())
        try:
            work()
        finally:
            raw.pgconn.untrace()
        trace.seek(0)
        return len(re.findall(rb"\tF\t\d+\t(?:Parse|Query)\b", trace.read()))


def test_eligibility_stays_a_handful_of_queries(app, setup) -> None:
    cid, token = setup
    ingest_now(app, token, spread(cid, "q", TODAY_START + dt.timedelta(hours=1), 100), NOW)
    answers = []
    with db.get_db(app).reader() as session:
        queue = session.scalar(select(Queue).where(Queue.slug == "gore"))
        assert queue is not None
        queue.required_credentials = [{"kind": "license", "code": "RN"}]
        session.flush()  # rolled back below
        eligibility.check_by_slug(session, cid, "gore", NOW)  # parsed policies are cached
        count = _statements_run(
            session, lambda: answers.append(eligibility.check_by_slug(session, cid, "gore", NOW))
        )
        session.rollback()
    assert answers[0].reasons == ["missing_credential:RN"]
    # contractor + queue + rotation + newest policy version + runs in one; credentials;
    # roll-ups
    assert count == 3
    assert answers[0].details["exposure"]["tiers"][0]["today_minutes"] == 100


def test_remaining_minutes_through_the_api(client, app, setup, as_role) -> None:
    cid, token = setup
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    ingest_now(app, token, [event("api", cid, start, 600)], dt.datetime.now(dt.UTC))
    answer = client.get(
        f"/api/v1/contractors/{cid}/eligibility?queue=gore", headers=as_role("ingest")
    ).json
    assert answer["eligible"] is True
    # 10 minutes today unless local midnight fell inside the last half hour
    assert answer["remaining_minutes_today"] in (230, 240)
