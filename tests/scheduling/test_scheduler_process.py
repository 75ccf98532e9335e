"""The real scheduler process: two of them against one database deliver each notification
once (one is active per run, the other a standby), and stopping them loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from tests.webhook_server import webhook_receiver
from workforce import db
from workforce.notifications.services import notify_once

pytestmark = [
    pytest.mark.slow,
    # A scheduler stopped in the middle of a post leaves http.server's half-read request
    # socket to the garbage collector; that is the test receiver's, not the service's.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def start_scheduler(
    database_url: str, lock_dir: Path, hook_url: str, log: IO[bytes]
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WORKFORCE_DATABASE_URL": database_url,
        "WORKFORCE_LOCK_DIR": str(lock_dir),
        "WORKFORCE_WEBHOOK_URLS": hook_url,
        "WORKFORCE_WEBHOOK_SECRET": "k",
        "WORKFORCE_DELIVERY_INTERVAL_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "workforce", "scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_scheduler_processes_deliver_each_notification_once(app, tmp_path) -> None:
    with db.transaction(app) as session:
        for n in range(20):
            notify_once(session, kind="test", audience="ops", dedupe_key=f"k{n}", payload={"n": n})
    with webhook_receiver() as hook, (tmp_path / "scheduler.log").open("wb") as log:
        url = app.config["DATABASE_URL"]
        processes = [start_scheduler(url, tmp_path, hook.url, log) for _ in range(2)]
        try:
            deadline = time.monotonic() + 60
            while len(hook.calls) < 20 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.5)  # more runs of both schedulers: nothing may arrive twice
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=20)
        delivered = [json.loads(body)["payload"]["n"] for _headers, body in hook.calls]
    assert sorted(delivered) == list(range(20)), (tmp_path / "scheduler.log").read_text()
