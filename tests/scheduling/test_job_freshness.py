"""Jobs that never ran because the scheduler restarts too often: the schedule starts from
the last recorded run, a late job is ``overdue``, and readiness reports it and a silent
scheduler."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler
from hypothesis import given
from hypothesis import strategies as st

from workforce import db
from workforce.jobs.definitions import Job, all_jobs
from workforce.jobs.models import JobRun, SchedulerHeartbeat
from workforce.jobs.runner import RETRY_FAILED_AFTER, beat, build_scheduler, first_runs, retry_soon
from workforce.jobs.status import is_overdue

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOURLY = Job("hourly", lambda session, now: {}, "interval", {"hours": 1})


def record(app, job_id: str, started_at: dt.datetime, *, succeeded: bool = True) -> None:
    with db.transaction(app) as session:
        session.add(
            JobRun(
                job_id=job_id,
                started_at=started_at,
                finished_at=started_at,
                succeeded=succeeded,
                effects={},
                error=None if succeeded else "OperationalError: database is locked",
            )
        )


def job(app, job_id: str) -> Job:
    return next(j for j in all_jobs(app.config) if j.id == job_id)


@given(minutes=st.integers(min_value=0, max_value=10_000))
def test_an_interval_job_is_overdue_once_late_by_half_its_interval(minutes: int) -> None:
    last = NOW - dt.timedelta(minutes=minutes)
    assert is_overdue(HOURLY, last, NOW) == (minutes > 90)
    assert not is_overdue(HOURLY, None, NOW)


def test_a_cron_job_is_overdue_by_half_the_gap_to_its_following_run(app) -> None:
    monthly = job(app, "monthly-reports")  # 1st of the month, 03:00 UTC
    ran = dt.datetime(2026, 2, 1, 3, tzinfo=dt.UTC)
    # due 1 March 03:00; the run after that is 31 days later: overdue after 15.5 days
    assert not is_overdue(monthly, ran, dt.datetime(2026, 3, 16, 14, tzinfo=dt.UTC))
    assert is_overdue(monthly, ran, dt.datetime(2026, 3, 16, 16, tzinfo=dt.UTC))


def test_first_runs_start_from_the_recorded_runs(app) -> None:
    now = db.utcnow()
    record(app, "checkin-reminders", now - dt.timedelta(hours=7))  # every 6 h: late
    record(app, "checkin-retention", now - dt.timedelta(hours=1))  # every 24 h
    record(app, "monthly-reports", now - dt.timedelta(days=40))  # its time came since
    first = first_runs(app, now)
    assert first["checkin-reminders"] == now
    assert first["checkin-retention"] == now + dt.timedelta(hours=23)
    assert first["monthly-reports"] == now
    assert first["credential-expiry"] == now  # never ran: at once
    assert first["planned-rotations"] is None  # a cron job that never ran: its schedule


def test_a_failed_run_does_not_count_as_a_run(app, client, ops) -> None:
    """A run that failed (a locked database at start-up, say) did not do the job: the
    schedule and ``overdue`` count from the last run that succeeded."""
    now = db.utcnow()
    record(app, "checkin-retention", now - dt.timedelta(hours=40))
    record(app, "checkin-retention", now - dt.timedelta(hours=1), succeeded=False)
    assert first_runs(app, now)["checkin-retention"] == now  # at once, not in 23 h
    jobs = {j["id"]: j for j in client.get("/api/v1/scheduler/status", headers=ops).json["jobs"]}
    assert jobs["checkin-retention"]["overdue"] is True
    assert jobs["checkin-retention"]["last_error"].startswith("OperationalError")


def test_status_marks_overdue_jobs(app, client, ops) -> None:
    now = db.utcnow()
    record(app, "checkin-reminders", now - dt.timedelta(hours=10))
    record(app, "checkin-retention", now - dt.timedelta(hours=30))
    jobs = {j["id"]: j for j in client.get("/api/v1/scheduler/status", headers=ops).json["jobs"]}
    assert jobs["checkin-reminders"]["overdue"] is True
    assert jobs["checkin-retention"]["overdue"] is False  # 30 h of 24 + 12
    assert jobs["credential-expiry"]["overdue"] is False  # never ran


def test_readiness_reports_a_silent_scheduler_and_overdue_jobs(app, client) -> None:
    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 200
    assert ready.json["status"] == "degraded"
    assert ready.json["checks"]["database"] == {"ok": True}
    assert ready.json["checks"]["scheduler"] == {"ok": False, "last_heartbeat_at": None}

    beat(app, "host:1", db.utcnow())
    for j in all_jobs(app.config):
        record(app, j.id, db.utcnow())
    ready = client.get("/api/v1/health/ready").json
    assert ready["status"] == "degraded"  # no email or webhook reaches a counsellor
    assert ready["checks"]["urgent_referrals"]["ok"] is False
    app.config["NOTIFY_EMAILS"] = '{"wellbeing": ["counsellors@example.org"]}'
    ready = client.get("/api/v1/health/ready").json
    assert ready["status"] == "ok", ready
    assert ready["checks"]["jobs"] == {"ok": True, "overdue": []}

    record(app, "checkin-retention", db.utcnow() - dt.timedelta(days=3))
    with db.transaction(app) as session:  # the only scheduler fell silent 2 minutes ago
        session.get(SchedulerHeartbeat, "host:1").beat_at = db.utcnow() - dt.timedelta(minutes=2)
    ready = client.get("/api/v1/health/ready").json
    assert ready["status"] == "degraded"
    assert ready["checks"]["scheduler"]["ok"] is False
    assert ready["checks"]["jobs"] == {"ok": True, "overdue": []}  # a newer run is there


def test_a_failed_run_is_tried_again_within_a_minute(app) -> None:
    """A daily job that failed (the database locked at start-up) runs again soon, not in a
    day; a job due sooner anyway keeps its time."""
    now = db.utcnow()
    record(app, "checkin-retention", now - dt.timedelta(hours=1))
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)  # next run times are computed when the scheduler starts
    try:
        assert scheduler.get_job("checkin-retention").next_run_time > now + dt.timedelta(hours=22)
        heartbeat_next = scheduler.get_job("heartbeat").next_run_time
        retry_soon(scheduler, "checkin-retention")
        retry_soon(scheduler, "heartbeat")
        again = scheduler.get_job("checkin-retention").next_run_time
        assert now < again <= db.utcnow() + RETRY_FAILED_AFTER
        assert scheduler.get_job("heartbeat").next_run_time == heartbeat_next
    finally:
        scheduler.shutdown(wait=False)
