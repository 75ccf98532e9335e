"""Failure limits: only failures count, in a store every worker and host shares."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import bearer
from tests.gunicorn_server import free_port, gunicorn
from workforce import create_app, db, ratelimit
from workforce.jobs.definitions import all_jobs
from workforce.ratelimit import FailureLimit, FailureWindow, delete_closed_windows, failures


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit, "clock", clock)
    return clock


def rows(app: Flask) -> int:
    with db.get_db(app).reader() as session:
        return int(session.scalar(select(func.count()).select_from(FailureWindow)) or 0)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    allowed=st.integers(1, 4),
    seconds=st.integers(1, 120),
    gaps=st.lists(st.integers(0, 150), min_size=1, max_size=12),
)
def test_the_database_counts_fixed_windows_opened_by_a_first_failure(
    app: Flask, clock: Clock, allowed: int, seconds: int, gaps: list[int]
) -> None:
    """The wait after each failure equals a model's: a window opens at a key's first failure
    (or the first after it closed) and lasts ``seconds``; past ``allowed``, wait it out."""
    limit = FailureLimit("prop", allowed, seconds)
    counter = failures(app)
    counter.limiter.storage.reset()
    count, closes = 0, -math.inf
    for gap in gaps:
        clock.now += gap
        if closes <= clock.now:
            count, closes = 0, clock.now + seconds
        count += 1
        expected = max(1, math.ceil(closes - clock.now)) if count > allowed else 0
        assert counter.fail(limit, "key") == expected
        assert counter.retry_after(limit, "key") == (
            max(1, math.ceil(closes - clock.now)) if count >= allowed else 0
        )


def test_closed_windows_are_deleted_by_their_job(app: Flask, clock: Clock) -> None:
    counter = failures(app)
    counter.fail(FailureLimit("a", 3, 60), "old")
    clock.now += 30
    counter.fail(FailureLimit("a", 3, 60), "new")
    clock.now += 31
    with db.transaction(app) as session:
        now = dt.datetime.fromtimestamp(clock.now, dt.UTC)
        assert delete_closed_windows(session, now) == {"deleted": 1}
    assert rows(app) == 1
    (job,) = [job for job in all_jobs(app.config) if job.id == "failure-windows"]
    assert job.func is delete_closed_windows


def test_many_bad_tokens_never_lock_out_a_valid_token(app: Flask, client, admin) -> None:
    answers = Counter(
        client.get("/api/v1/contractors", headers=bearer(f"wf_guess{n}")).status_code
        for n in range(70)
    )
    limit = app.config["AUTH_FAILURES_PER_MINUTE"]
    assert answers == {401: limit, 429: 70 - limit}
    assert client.get("/api/v1/contractors", headers=admin).status_code == 200


def test_one_failed_secret_is_counted_from_every_address(app: Flask) -> None:
    app.config["AUTH_FAILURES_PER_MINUTE"] = 3
    client = app.test_client()
    statuses = [
        client.get(
            "/api/v1/me",
            headers=bearer("wf_stolen-and-revoked"),
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        ).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


def test_two_workers_on_one_database_share_the_counts(app: Flask, admin) -> None:
    """Two ``create_app`` on the same database are two workers: the limit is the total."""
    app.config["AUTH_FAILURES_PER_MINUTE"] = 4
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True})
    other.config["AUTH_FAILURES_PER_MINUTE"] = 4
    try:
        workers = [app.test_client(), other.test_client()]
        statuses = [
            workers[n % 2].get("/api/v1/me", headers=bearer(f"wf_guess{n}")).status_code
            for n in range(6)
        ]
        assert statuses == [401] * 4 + [429] * 2
        assert workers[1].get("/api/v1/contractors", headers=admin).status_code == 200
    finally:
        db.get_db(other).dispose()
    assert rows(app) == 7  # the client's window and one per failed secret; no raw values
    with db.get_db(app).reader() as session:
        keys = session.scalars(select(FailureWindow.key)).all()
    assert not any("guess" in key or "127.0.0.1" in key for key in keys)


def _status(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers=bearer(token))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _served_by(log: Path) -> set[str]:
    return {line.split()[1] for line in log.read_text().splitlines() if "served-by" in line}


@pytest.mark.slow
def test_the_limit_holds_across_gunicorn_workers(app: Flask, admin, tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    with gunicorn(
        app.config["DATABASE_URL"],
        log,
        "--access-logformat",
        "served-by %(p)s %(s)s",
        env={"WORKFORCE_AUTH_FAILURES_PER_MINUTE": "5"},
    ) as base:
        # The second worker may still be booting when the first answers: wait for both.
        deadline = time.monotonic() + 30
        with ThreadPoolExecutor(6) as pool:
            while len(_served_by(log)) < 2 and time.monotonic() < deadline:
                list(pool.map(lambda _: _status(f"{base}/api/v1/health", ""), range(12)))
            assert len(_served_by(log)) == 2, "both workers must answer for the test to mean much"
            statuses = list(
                pool.map(lambda n: _status(f"{base}/api/v1/me", f"wf_guess{n}"), range(24))
            )
        assert _status(f"{base}/api/v1/contractors", admin["Authorization"][7:]) == 200
    assert Counter(statuses) == {401: 5, 429: 19}


@pytest.fixture
def redis_url(tmp_path: Path):
    """A throwaway redis-server (Debian's ``redis-server``; ``make test`` installs it)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def test_redis_holds_the_counts_when_configured(app: Flask, admin, redis_url: str) -> None:
    apps = [
        create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": redis_url})
        for _ in range(2)
    ]
    try:
        for each in apps:
            each.config["AUTH_FAILURES_PER_MINUTE"] = 3
        statuses = [
            apps[n % 2].test_client().get("/api/v1/me", headers=bearer(f"wf_guess{n}")).status_code
            for n in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        blocked = apps[0].test_client().get("/api/v1/me", headers=bearer("wf_guess"))
        assert 0 < int(blocked.headers["Retry-After"]) <= 60
        assert apps[1].test_client().get("/api/v1/contractors", headers=admin).status_code == 200
    finally:
        for each in apps:
            db.get_db(each).dispose()
    assert rows(app) == 0  # nothing went to the database
