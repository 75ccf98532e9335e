"""The ``job-run-retention`` job forgets old job runs but never what the status page shows."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from workforce import db
from workforce.jobs.definitions import all_jobs
from workforce.jobs.models import JobRun
from workforce.rotations.sweep import SWEEP_JOB_ID as SWEEP

NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)


def _run(job_id: str, days_ago: float, succeeded: bool = True) -> JobRun:
    started = NOW - dt.timedelta(days=days_ago)
    return JobRun(
        job_id=job_id,
        started_at=started,
        finished_at=started + dt.timedelta(seconds=1),
        succeeded=succeeded,
        effects={},
        error=None if succeeded else f"RuntimeError: failed {days_ago} days ago",
    )


def _ids(app: Flask) -> set[tuple[str, float]]:
    with db.get_db(app).reader() as session:
        return {(run.job_id, (NOW - run.started_at).days) for run in session.query(JobRun).all()}


def test_old_runs_go_but_each_jobs_latest_run_success_and_failure_stay(app: Flask, client, ops):
    with db.transaction(app) as session:
        session.add_all(
            [
                _run(SWEEP, 200, succeeded=False),  # the sweep's latest failure: kept
                _run(SWEEP, 150),
                _run(SWEEP, 120),
                _run(SWEEP, 1),  # recent: kept
                _run("credential-expiry", 300),
                _run("credential-expiry", 100),  # its latest run and success: kept
            ]
        )
    (job,) = [j for j in all_jobs(app.config) if j.id == "job-run-retention"]
    with db.transaction(app) as session:
        assert job.func(session, NOW) == {"runs_deleted": 3}
    assert _ids(app) == {(SWEEP, 200), (SWEEP, 1), ("credential-expiry", 100)}
    jobs = {j["id"]: j for j in client.get("/api/v1/scheduler/status", headers=ops).json["jobs"]}
    assert jobs[SWEEP]["last_error"] == "RuntimeError: failed 200 days ago"


def test_the_retention_age_comes_from_the_configuration(app: Flask) -> None:
    app.config["JOB_RUN_RETENTION_DAYS"] = 10
    with db.transaction(app) as session:
        session.add_all([_run(SWEEP, 20), _run(SWEEP, 11), _run(SWEEP, 5)])
    (job,) = [j for j in all_jobs(app.config) if j.id == "job-run-retention"]
    with db.transaction(app) as session:
        assert job.func(session, NOW) == {"runs_deleted": 2}
    assert _ids(app) == {(SWEEP, 5)}
    app.config["JOB_RUN_RETENTION_DAYS"] = 0  # keep them all
    with db.transaction(app) as session:
        session.add(_run(SWEEP, 400))
    (job,) = [j for j in all_jobs(app.config) if j.id == "job-run-retention"]
    with db.transaction(app) as session:
        assert job.func(session, NOW) == {"runs_deleted": 0}
    assert _ids(app) == {(SWEEP, 5), (SWEEP, 400)}
