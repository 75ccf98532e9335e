"""The real scheduler process: two of them against one database deliver each notification
once (one is active per run, the other a standby), and stopping them loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import func, select

from tests.conftest import child_env
from tests.webhook_server import webhook_receiver
from tests.wellbeing.exposure_helpers import over_the_cap
from workforce import db
from workforce.jobs.models import JobRun
from workforce.notifications.services import notify_once
from workforce.rotations.models import Rotation

pytestmark = [
    pytest.mark.slow,
    # A scheduler stopped in the middle of a post leaves http.server's half-read request
    # socket to the garbage collector; that is the test receiver's, not the service's.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def start_scheduler(
    database_url: str, lock_dir: Path, log: IO[bytes], **settings: str
) -> subprocess.Popen[bytes]:
    """A real ``flask --app workforce scheduler``; ``settings`` are ``WORKFORCE_*`` values."""
    env = child_env(
        WORKFORCE_DATABASE_URL=database_url,
        WORKFORCE_LOCK_DIR=str(lock_dir),
        **{f"WORKFORCE_{name}": value for name, value in settings.items()},
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "workforce", "scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=20)


def test_two_scheduler_processes_deliver_each_notification_once(app, tmp_path) -> None:
    with db.transaction(app) as session:
        for n in range(20):
            notify_once(session, kind="test", audience="ops", dedupe_key=f"k{n}", payload={"n": n})
    with webhook_receiver() as hook, (tmp_path / "scheduler.log").open("wb") as log:
        url = app.config["DATABASE_URL"]
        hook_settings = {
            "WEBHOOKS": json.dumps({"ops": [{"url": hook.url, "secret": "k" * 32}]}),
            "DELIVERY_INTERVAL_SECONDS": "1",
        }
        processes = [start_scheduler(url, tmp_path, log, **hook_settings) for _ in range(2)]
        try:
            deadline = time.monotonic() + 60
            while len(hook.calls) < 20 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.5)  # more runs of both schedulers: nothing may arrive twice
        finally:
            stop(processes)
        delivered = [json.loads(body)["data"]["n"] for _headers, body in hook.calls]
    assert sorted(delivered) == list(range(20)), (tmp_path / "scheduler.log").read_text()


def test_two_scheduler_processes_rotate_each_person_once(app, tmp_path) -> None:
    """Both processes sweep every second against one database (advisory lock on
    PostgreSQL, file lock on SQLite): each breach is one rotation, and both took part."""
    ids = over_the_cap(app, 30)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    url = app.config["DATABASE_URL"]
    with logs[0].open("wb") as a, logs[1].open("wb") as b:
        processes = [
            start_scheduler(url, tmp_path, log, SWEEP_INTERVAL_SECONDS="1") for log in (a, b)
        ]
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with db.get_db(app).reader() as session:
                    if session.scalar(select(func.count(Rotation.id))) >= len(ids):
                        break
                time.sleep(0.2)
            time.sleep(3.5)  # three more sweeps of each: nothing may be rotated twice
        finally:
            stop(processes)
    texts = [log.read_text() for log in logs]
    with db.get_db(app).reader() as session:
        rotated = session.execute(
            select(Rotation.contractor_id, Rotation.reason, func.count())
            .group_by(Rotation.contractor_id, Rotation.reason)
            .order_by(Rotation.contractor_id)
        ).all()
        runs = session.scalars(select(JobRun).where(JobRun.job_id == "rotation-sweep")).all()
    assert [tuple(row) for row in rotated] == [(cid, "daily_limit", 1) for cid in ids], texts
    assert len(runs) >= 4 and all(run.succeeded for run in runs)
    assert sum(run.effects["rotations"] for run in runs) == len(ids)
    for text in texts:  # each process ran the sweep or stood by, every second
        assert "scheduler starting" in text
        assert text.count("job rotation-sweep ran") + text.count("job rotation-sweep: standby") >= 3


def test_a_scheduler_restarted_more_often_than_an_interval_still_runs_the_jobs(
    app, tmp_path
) -> None:
    """Interval jobs used to count from process start: a scheduler living 2 s at a time
    never ran a 4 s job, nor the 6-hourly check-in reminders. Now a job runs when its
    interval since the last recorded run is over, at start if it is already."""
    now = db.utcnow()
    for job_id, hours in (("checkin-reminders", 7), ("checkin-retention", 1)):
        with db.transaction(app) as session:
            session.add(
                JobRun(
                    job_id=job_id,
                    started_at=now - dt.timedelta(hours=hours),
                    finished_at=now - dt.timedelta(hours=hours),
                    succeeded=True,
                    effects={},
                )
            )
    log_path = tmp_path / "scheduler.log"
    url = app.config["DATABASE_URL"]
    started = time.monotonic()
    with log_path.open("wb") as log:
        for n in range(1, 6):
            process = start_scheduler(url, tmp_path, log, DELIVERY_INTERVAL_SECONDS="4")
            try:
                deadline = time.monotonic() + 30
                while log_path.read_text().count("scheduler starting") < n:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.1)
                time.sleep(1.5)  # well under the 4 s interval
            finally:
                stop([process])
    elapsed = time.monotonic() - started
    with db.get_db(app).reader() as session:
        runs = dict(
            session.execute(
                select(JobRun.job_id, func.count())
                .where(JobRun.started_at > now)
                .group_by(JobRun.job_id)
            ).all()
        )
    text = log_path.read_text()
    assert runs.get("checkin-reminders") == 1, text  # 7 h since the last one: at once
    assert "checkin-retention" not in runs  # 1 h since the last one: not due
    # Counted from process start, no 1.5 s life would ever reach 4 s: zero runs. Counted from
    # the last recorded run, five restarts over 10 s or more (far more on a loaded machine,
    # where start-up alone takes seconds) reach it at least twice. A tighter bound from the
    # elapsed time would count start-up time, in which no scheduler is alive to run anything.
    assert runs.get("deliver-notifications", 0) >= 2, (runs, elapsed)
    # never more than one run per interval, plus one at each start
    assert runs["deliver-notifications"] <= int(elapsed // 4) + 5, (runs, elapsed)
