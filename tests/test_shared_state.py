"""Nothing per process that should be shared (docs/scaling.md, "State shared between
processes"): two real gunicorn servers (two workers each) on different ports against one
database share their rate-limit counts and see a policy change made through the other at
once; two real scheduler processes never run a job at the same time. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.gunicorn_server import gunicorn
from tests.scheduling.test_scheduler_process import start_scheduler, stop
from workforce import db
from workforce.exposure.policy import DEFAULT_POLICY
from workforce.jobs.definitions import SWEEP_JOB_ID
from workforce.jobs.models import JobRun

pytestmark = pytest.mark.slow

AUTH_LIMIT = 6


def call(
    base: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def two_servers(app: Flask, database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two gunicorn servers, two workers each, like two hosts behind a balancer."""
    settings = {"WORKFORCE_AUTH_FAILURES_PER_MINUTE": str(AUTH_LIMIT)}
    with ExitStack() as stack:
        bases = [
            stack.enter_context(gunicorn(database_url, tmp_path / f"{name}.log", env=settings))
            for name in ("a", "b")
        ]
        yield bases[0], bases[1]


def test_failed_authentications_add_up_across_servers_and_workers(
    two_servers: tuple[str, str],
) -> None:
    statuses = []
    for n in range(AUTH_LIMIT + 4):
        base = two_servers[n % 2]  # alternately: each server (and worker) sees only a part
        statuses.append(call(base, "/me", f"wf_{secrets.token_urlsafe(32)}")[0])
    # per process, each of the four workers would allow AUTH_LIMIT of its own
    assert statuses[:AUTH_LIMIT] == [401] * AUTH_LIMIT, statuses
    assert statuses[AUTH_LIMIT:] == [429] * 4, statuses


def test_a_policy_change_through_one_server_is_seen_by_the_other_at_once(
    app: Flask, two_servers: tuple[str, str]
) -> None:
    a, b = two_servers
    admin = factories.make_token(app, "admin").raw
    contractor = factories.make_contractor(app)
    view = f"/contractors/{contractor}/exposure"
    for _ in range(6):  # every worker of b has parsed (and cached) version 1
        status, body = call(b, view, admin)
        assert (status, body["policy_version"]) == (200, 1)

    stricter = copy.deepcopy(DEFAULT_POLICY)
    stricter["name"] = "stricter caps"
    status, created = call(a, "/exposure-policies", admin, stricter)
    assert status == 201, created

    for _ in range(6):  # no waiting: the next read on any worker of b uses version 2
        assert call(b, view, admin)[1]["policy_version"] == created["version"]
        assert call(b, "/exposure-policies/current", admin)[1]["version"] == created["version"]


def test_two_schedulers_never_run_a_job_at_the_same_time(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "scheduler.log"
    with log_path.open("wb") as log:
        processes: list[subprocess.Popen[bytes]] = [
            start_scheduler(database_url, tmp_path, log, SWEEP_INTERVAL_SECONDS="1")
            for _ in range(2)
        ]
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and (
                log_path.read_text().count("scheduler starting") < 2
                or log_path.read_text().count("job rotation-sweep ran") < 3
            ):
                time.sleep(0.2)
            time.sleep(3)  # both alive: three more sweeps of each
        finally:
            stop(processes)
    with db.get_db(app).reader() as session:
        runs = session.execute(
            select(JobRun.started_at, JobRun.finished_at)
            .where(JobRun.job_id == SWEEP_JOB_ID, JobRun.succeeded.is_(True))
            .order_by(JobRun.started_at)
        ).all()
    text = log_path.read_text()
    assert text.count("scheduler starting") == 2, text
    assert len(runs) >= 3, text
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at  # the job's lock: one at a time
