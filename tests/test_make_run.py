"""``make run`` (issue 21): it installs the service's requirements only, and its start-up
ends with a short banner that nothing scrolls away (a real ``scripts/run``)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import child_env
from tests.gunicorn_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def dry_run(target: str, venv: Path) -> str:
    """What ``make`` would do for ``target`` with a virtual environment not made yet."""
    return subprocess.run(
        ["make", "-n", f"VENV={venv}", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_make_run_installs_the_runtime_requirements_only(tmp_path: Path) -> None:
    run = dry_run("run", tmp_path / "venv")
    assert "-r requirements.txt" in run
    assert "requirements-dev.txt" not in run
    # The tests still install everything, on top of what make run installed.
    tests = dry_run("test-fast", tmp_path / "venv")
    assert tests.index("-r requirements.txt") < tests.index("-r requirements-dev.txt")
    # The pay slip's Noto fonts for both; poppler-utils (to read the slips) for the tests.
    assert "scripts/ensure-slip-tools\n" in run
    assert "scripts/ensure-slip-tools --test" in tests


@pytest.mark.slow
def test_make_run_ends_its_start_with_a_banner_and_no_access_log(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "run.out"
    env = child_env(
        PORT=str(port),
        WORKFORCE_DATABASE_URL=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        WORKFORCE_MAIL_DIR=str(tmp_path / "mail"),
        WORKFORCE_LOCK_DIR=str(tmp_path / "locks"),
        WORKFORCE_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
        SCHEDULER_LOG=str(tmp_path / "scheduler.log"),
        PLATFORM_LOG=str(tmp_path / "platform.log"),
    )
    with out.open("wb") as sink:
        script = subprocess.Popen(
            [str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "Admin token" not in out.read_text() and script.poll() is None:
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.5)
        lines = [line.split() for line in out.read_text().splitlines() if line.strip()]
        token = next(words[-1] for words in lines if words[:2] == ["Admin", "token"])
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/contractors",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        time.sleep(1)
        text = out.read_text()
    finally:
        os.killpg(script.pid, signal.SIGTERM)
        script.wait(timeout=60)
    # The banner is all there is: no migration, job or gunicorn lines, no access log.
    assert text.strip().splitlines()[0].startswith("Workforce is running (demo data)"), text
    assert text.rstrip().endswith("shows each request."), text
    for label in ("API docs", "Contractor portal", "Mailbox", "Admin token", "Living demo"):
        assert label in text
    assert str(tmp_path / "mail") in text
    assert "GET /api/v1/contractors" not in text
    assert "Added job" not in (tmp_path / "scheduler.log").read_text()
