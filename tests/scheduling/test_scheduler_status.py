"""``GET /scheduler/status`` shows each job's last run, effects, next run and last error."""

from __future__ import annotations

import pytest

from workforce.jobs.definitions import Job
from workforce.jobs.runner import run_job


def test_status_lists_every_job_with_its_last_run(app, client, ops) -> None:
    before = client.get("/api/v1/scheduler/status", headers=ops).json["jobs"]
    ids = {job["id"] for job in before}
    assert {"credential-expiry", "deliver-notifications"} <= ids
    assert all(job["last_run"] is None for job in before)
    from workforce.jobs.definitions import all_jobs

    expiry = next(j for j in all_jobs(app.config) if j.id == "credential-expiry")
    run_job(app, expiry)
    jobs = {j["id"]: j for j in client.get("/api/v1/scheduler/status", headers=ops).json["jobs"]}
    last = jobs["credential-expiry"]["last_run"]
    assert last["succeeded"] is True
    assert last["effects"] == {"expiring": 0, "expired": 0}
    assert jobs["credential-expiry"]["next_run_at"] > last["started_at"]


def test_a_failed_run_is_recorded_with_its_error(app) -> None:
    def broken(session, now):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_job(app, Job("broken", broken, "interval", {"seconds": 60}))
    from workforce import db
    from workforce.jobs.models import JobRun

    with db.get_db(app).reader() as session:
        run = session.query(JobRun).one()
        assert run.succeeded is False
        assert run.error == "RuntimeError: boom"


def test_only_ops_and_admin_see_the_scheduler(client, as_role) -> None:
    for role in ("compliance", "wellbeing", "ingest"):
        assert client.get("/api/v1/scheduler/status", headers=as_role(role)).status_code == 403
