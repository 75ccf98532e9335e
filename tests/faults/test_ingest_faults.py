"""Faults during ingestion: concurrent retries store each event once; a server killed with
SIGKILL mid-batch loses no acknowledged event and keeps no part of any batch."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import bearer, child_env
from tests.faults.helpers import wait_until_blocked
from tests.gunicorn_server import free_port
from tests.wellbeing.exposure_helpers import (
    consent,
    daily,
    event,
    ingest_now,
    ingest_token,
    make_queues,
    raw_count,
    recount,
)
from workforce import db
from workforce.exposure.ingest import ingest
from workforce.exposure.models import ExposureEvent


def batch(prefix: str, contractor_ids: list[int], n: int) -> list[dict]:
    start = db.utcnow() - dt.timedelta(hours=2)
    return [
        event(
            f"{prefix}-{i}",
            contractor_ids[i % len(contractor_ids)],
            start + dt.timedelta(seconds=i),
            1,
            queue="spam",
        )
        for i in range(n)
    ]


def test_concurrent_retries_of_one_batch_store_each_event_once(app, make_token, new_contractor):
    make_queues(app)
    people = [new_contractor() for _ in range(3)]
    for person in people:
        consent(app, person)
    token = make_token("ingest")
    events = batch("retry", people, 500)

    def post(_: int) -> dict:
        response = app.test_client().post(
            "/api/v1/exposure-events", json={"events": events}, headers=bearer(token)
        )
        assert response.status_code == 200, response.json
        return response.json

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post, range(6)))
    assert sum(a["accepted"] for a in answers) == 500
    assert sum(a["duplicates"] for a in answers) == 5 * 500
    assert raw_count(app) == 500
    assert daily(app) == recount(app)  # roll-ups counted each event once too


def test_a_batch_racing_an_uncommitted_overlap_stores_only_what_is_new(app, new_contractor):
    """The second batch arrives before the first commits: on PostgreSQL its insert into
    ``exposure_event_keys`` waits on the first's uncommitted keys, then skips them (SQLite:
    it waits for the write lock); only what is new is stored."""
    make_queues(app)
    person = new_contractor()
    consent(app, person)
    token_id = ingest_token(app)
    events = batch("race", [person], 4)
    answers = []
    second = threading.Thread(
        target=lambda: answers.append(ingest_now(app, token_id, events[1:], db.utcnow()))
    )
    with app.test_request_context(), db.transaction(app) as session:
        first = ingest(session, token_id, events[:3], now=db.utcnow())
        second.start()
        wait_until_blocked(app)
    second.join(timeout=30)
    assert (first.accepted, first.duplicates) == (3, 0)
    assert [(a.accepted, a.duplicates) for a in answers] == [(1, 2)]
    assert raw_count(app) == 4
    assert daily(app) == recount(app)


@pytest.mark.slow
def test_sigkill_mid_batch_keeps_batches_whole(app, make_token, new_contractor, tmp_path: Path):
    make_queues(app)
    people = [new_contractor() for _ in range(20)]
    for person in people:
        consent(app, person)
    token = make_token("ingest")
    port = free_port()
    env = child_env(WORKFORCE_DATABASE_URL=app.config["DATABASE_URL"])
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "workforce:create_app()",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            acknowledged: list[str] = []
            sent: list[str] = []

            def send_batches() -> None:
                for k in range(200):
                    prefix = f"b{k}"
                    body = json.dumps({"events": batch(prefix, people, 2000)}).encode()
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/api/v1/exposure-events",
                        data=body,
                        headers={"Content-Type": "application/json", **bearer(token)},
                    )
                    sent.append(prefix)
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:
                            if response.status == 200:
                                acknowledged.append(prefix)
                    except OSError:
                        return  # the server is gone

            sender = threading.Thread(target=send_batches)
            sender.start()
            while len(acknowledged) < 3:
                time.sleep(0.05)
            time.sleep(0.15)  # somewhere inside the next batch
            os.killpg(server.pid, signal.SIGKILL)
            sender.join(timeout=60)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    stored: dict[str, int] = {}
    with db.get_db(app).reader() as session:
        for (event_id,) in session.execute(select(ExposureEvent.event_id)):
            prefix = event_id.split("-")[0]
            stored[prefix] = stored.get(prefix, 0) + 1
    for prefix in acknowledged:
        assert stored.get(prefix) == 2000, f"acknowledged batch {prefix} lost events"
    for prefix, count in stored.items():
        assert count == 2000, f"batch {prefix} stored in part ({count} of 2000)"
    assert set(stored) <= set(sent)
    assert daily(app) == recount(app)
