"""Retention of raw exposure events: the scheduled job deletes those older than the
configured age, in bounded batches, and leaves roll-ups, eligibility, the exposure view and
reports exactly as they were."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.wellbeing.exposure_helpers import (
    consent,
    daily,
    event,
    ingest_now,
    ingest_token,
    make_queues,
    raw_count,
)
from workforce import db
from workforce.audit import AuditEvent
from workforce.exposure.models import ExposureEvent
from workforce.exposure.retention import delete_old_events
from workforce.jobs.definitions import Job, all_jobs
from workforce.jobs.runner import run_job

API = "/api/v1"
DAY = dt.timedelta(days=1)


def retention_job(app, **config: Any) -> Job:
    settings = {**app.config, **config}
    return next(j for j in all_jobs(settings) if j.id == "exposure-event-retention")


def deleted(effects: dict[str, int]) -> dict[str, int]:
    """The counts of rows deleted; PostgreSQL's job also says how many partitions and keys
    it dropped (tests/wellbeing/test_partitions.py)."""
    return {k: effects[k] for k in ("events_deleted", "batches")}


def event_ids(app) -> set[str]:
    with db.get_db(app).reader() as session:
        return set(session.scalars(select(ExposureEvent.event_id)))


@pytest.fixture
def seeded(app, new_contractor) -> dict[str, Any]:
    """Two contractors with exposure 120 days ago (received then), one event from then
    that arrived only today, and exposure today."""
    make_queues(app)
    token = ingest_token(app)
    now = db.utcnow().replace(microsecond=0)
    old = now - 120 * DAY
    people = [new_contractor(), new_contractor()]
    for who in people:
        consent(app, who)
    for n, who in enumerate(people):
        ingest_now(
            app,
            token,
            [event(f"old-{n}-{i}", who, old + i * dt.timedelta(minutes=30), 600) for i in range(3)]
            + [event(f"old-{n}-safe", who, old, 300, queue="safe")],
            now=old + dt.timedelta(hours=3),
        )
        ingest_now(app, token, [event(f"late-{n}", who, old - DAY, 900, queue="hate")], now=now)
        ingest_now(
            app, token, [event(f"today-{n}", who, now - dt.timedelta(hours=2), 1200)], now=now
        )
    return {"token": token, "now": now, "people": people, "old": old}


def observable(client, seeded, as_role) -> dict[str, Any]:
    """Everything the API derives from exposure, for every seeded contractor."""
    admin, compliance = as_role("admin"), as_role("compliance")
    start, end = (seeded["old"] - 2 * DAY).date(), seeded["now"].date()
    seen: dict[str, Any] = {}
    for who in seeded["people"]:
        for queue in ("gore", "hate", "spam"):
            url = f"{API}/contractors/{who}/eligibility?queue={queue}"
            answer = client.get(url, headers=admin).json
            seen[url] = {k: v for k, v in answer.items() if k != "at"}  # the instant asked
        url = f"{API}/contractors/{who}/exposure?from={start}&to={end}"
        seen[url] = client.get(url, headers=admin).json
    for group_by in ("contractor", "contractor,week", "contractor,tier,category"):
        url = f"{API}/reports/exposure?from={start}&to={end}&group_by={group_by}"
        response = client.get(url, headers=compliance)
        assert response.status_code == 200, response.json
        seen[url] = {k: v for k, v in response.json.items() if k in ("rows", "total")}
    return seen


def test_old_events_go_in_bounded_batches_and_nothing_derived_changes(
    app, client, seeded, as_role
) -> None:
    rollups, before = daily(app), observable(client, seeded, as_role)
    assert raw_count(app) == 12
    job = retention_job(
        app, EXPOSURE_EVENT_RETENTION_BATCH_SIZE=2, EXPOSURE_EVENT_RETENTION_MAX_BATCHES=2
    )

    now = seeded["now"]
    # 8 events started and arrived 120 days ago: at most 2 batches of 2 per run
    assert deleted(run_job(app, job, now).effects) == {"events_deleted": 4, "batches": 2}
    assert deleted(run_job(app, job, now).effects) == {"events_deleted": 4, "batches": 2}
    assert deleted(run_job(app, job, now).effects) == {"events_deleted": 0, "batches": 1}
    # the late arrival (started 121 days ago, received today) stays for retries to meet
    assert event_ids(app) == {"late-0", "late-1", "today-0", "today-1"}

    assert daily(app) == rollups
    assert observable(client, seeded, as_role) == before
    with db.get_db(app).reader() as session:
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "exposure_event.deleted")
        ).all()
    assert [a.summary["count"] for a in audit] == [4, 4]


def test_the_age_is_configurable_and_zero_keeps_everything(app, seeded) -> None:
    now = seeded["now"]
    zero = retention_job(app, EXPOSURE_EVENT_RETENTION_DAYS=0)
    assert deleted(run_job(app, zero, now).effects) == {"events_deleted": 0, "batches": 0}
    assert raw_count(app) == 12
    assert (
        run_job(app, retention_job(app, EXPOSURE_EVENT_RETENTION_DAYS=200), now).effects[
            "events_deleted"
        ]
        == 0
    )
    # one day: everything but today's events (the late ones were received today too)
    run_job(app, retention_job(app, EXPOSURE_EVENT_RETENTION_DAYS=1), now)
    assert event_ids(app) == {"late-0", "late-1", "today-0", "today-1"}
    # PostgreSQL drops this month's partition only once the whole month is a day old
    later = now + (2 * DAY if db.get_db(app).engine.dialect.name == "sqlite" else 70 * DAY)
    assert run_job(app, retention_job(app, EXPOSURE_EVENT_RETENTION_DAYS=1), later)
    assert raw_count(app) == 0


def test_a_retry_within_the_retention_age_is_still_a_duplicate(app, seeded) -> None:
    run_job(app, retention_job(app), seeded["now"])
    who, old = seeded["people"][0], seeded["old"]
    retried = ingest_now(
        app,
        seeded["token"],
        [event("late-0", who, old - DAY, 900, queue="hate")],
        now=seeded["now"] + dt.timedelta(minutes=5),
    )
    assert (retried.accepted, retried.duplicates) == (0, 1)


@pytest.mark.parametrize("bad", [{"retention_days": -1}, {"batch_size": 0}, {"max_batches": 0}])
def test_nonsense_settings_are_refused(app, bad: dict[str, int]) -> None:
    settings = {"retention_days": 90, "batch_size": 10, "max_batches": 1, **bad}
    with (
        app.app_context(),
        db.transaction(app) as session,
        pytest.raises(ValueError, match="RETENTION"),
    ):
        delete_old_events(session, db.utcnow(), **settings)


def test_the_oldest_events_are_found_through_the_received_at_index(app) -> None:
    statement = (
        "SELECT id FROM exposure_events WHERE received_at < :cutoff AND started_at < :cutoff "
        "ORDER BY received_at LIMIT 10"
    )
    cutoff = {"cutoff": "2026-01-01 00:00:00"}
    with db.get_db(app).reader() as session:
        if session.bind.dialect.name == "sqlite":
            plan = session.execute(text("EXPLAIN QUERY PLAN " + statement), cutoff).all()
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = session.execute(text("EXPLAIN " + statement), cutoff).all()
    # on PostgreSQL each partition has its own copy of the index (named after it)
    assert re.search(r"ix_exposure_events_received_at|_received_at_idx", " ".join(map(str, plan)))
