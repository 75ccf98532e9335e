"""README.md runs (issue 21): every shell block, in order, in one bash session, against a
live server started as ``make run`` starts it (``scripts/run``: gunicorn beside the
scheduler, a fresh database migrated and seeded with plain ``flask seed-demo``).

The session runs in a scratch copy of a checkout (symlinks to the repository's files, its
own ``instance/``), so what the README writes (``slip.pdf``, reports, the secret key) stays
there. Each block runs under ``set -euo pipefail``; every ``curl`` fails on an error status
(``-f``) or checks it explicitly, so an answer the text does not promise fails the test.
How each block is treated is in ``tests/docs/readme_blocks.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.docs.readme_blocks import ROOT, Block, blocks, curls_without_status_check
from tests.gunicorn_server import free_port

#: Not linked into the scratch checkout: it gets its own.
PRIVATE = {".git", "instance", ".pytest_cache", "test-artifacts"}


def test_every_block_is_run_shown_or_skipped_with_a_covering_test() -> None:
    treatments = [block.treatment() for block in blocks()]
    assert treatments.count("run") >= 10
    # The first two commands are the whole set-up: run it, check it. They are skipped here:
    # this test starts the server as `make run` does, and `make test` runs this suite.
    first = next(block for block in blocks() if block.treatment() != "show")
    assert first.text.split() == ["make", "run", "make", "test"]
    assert first.treatment() == "skip"


def test_every_curl_fails_on_an_error_status() -> None:
    careless = [
        f"README.md line {block.line}: {line}"
        for block in blocks()
        if block.treatment() == "run"
        for line in curls_without_status_check(block.text)
    ]
    assert not careless, "\n".join(careless)


@pytest.mark.parametrize(
    ("text", "treatment"),
    [
        ("```sh\ncurl -sf $WF/health\n```\n", "run"),
        ("```\nmake run\n```\n", "run"),
        ("```json\n{}\n```\n", "show"),
        (
            "<!-- readme-test: skip: starts a server; covered by tests/test_make_run.py -->\n"
            "```\nmake run\n```\n",
            "skip",
        ),
    ],
)
def test_treatments(text: str, treatment: str) -> None:
    (block,) = blocks(text)
    assert block.treatment() == treatment


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("```console\n$ flask --app workforce seed-demo\n```\n", "does not know how to treat"),
        ("```zsh\nls\n```\n", "does not know how to treat"),
        ("<!-- readme-test: skip: no reason to give -->\n```sh\nls\n```\n", "is not 'skip"),
        (
            "<!-- readme-test: skip: a reason; covered by tests/no_such_test.py -->\n"
            "```sh\nls\n```\n",
            "does not exist",
        ),
    ],
)
def test_a_block_it_cannot_treat_fails(text: str, complaint: str) -> None:
    (block,) = blocks(text)
    with pytest.raises(ValueError, match=complaint):
        block.treatment()


@pytest.mark.parametrize(
    ("script", "careless"),
    [
        ("curl -sf $WF/health\n", False),
        ("curl -s --fail-with-body $WF/health | jq .\n", False),
        ("test \"$(curl -s -o /dev/null -w '%{http_code}' $WF/x)\" = 409\n", False),
        ("curl -s $WF/health\n", True),
        ('ID=$(curl -s -H "$H" \\\n  $WF/contractors | jq -r .id)\n', True),
        ("cat <<'EOF'\ncurl -s $WF/x\nEOF\n", False),
    ],
)
def test_curl_status_check(script: str, careless: bool) -> None:
    assert bool(curls_without_status_check(script)) is careless


def scratch_checkout(where: Path) -> Path:
    """A directory that looks like a fresh checkout after ``make run`` installed it: every
    top-level entry of the repository linked, with an ``instance/`` of its own."""
    where.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in PRIVATE:
            (where / entry.name).symlink_to(entry)
    return where


def environment(checkout: Path, port: int) -> dict[str, str]:
    """A user's environment: none of the suite's WORKFORCE_ settings (its secret key), the
    port, and on PostgreSQL the database (SQLite: the checkout's instance/, as make run)."""
    instance = checkout / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_")}
    env.update(
        PORT=str(port),
        SCHEDULER_LOG=str(instance / "scheduler.log"),
        # The instance folder would follow the symlinks back into the repository: name
        # each of its files in the scratch checkout.
        WORKFORCE_DATABASE_URL=PG_URL or f"sqlite:///{instance / 'workforce.sqlite3'}",
        WORKFORCE_MAIL_DIR=str(instance / "mail"),
        WORKFORCE_LOCK_DIR=str(instance),
        WORKFORCE_AUDIT_CHECKPOINT_FILE=str(instance / "audit-checkpoints.jsonl"),
        WORKFORCE_DELIVERY_INTERVAL_SECONDS="2",
        # The small demo: the living world's simulated platform would race the walk-through
        # for the same people (tests/test_demo_live.py runs the living world).
        DEMO_LIVE="0",
        # `curl -sf` says nothing when it fails: have it name the status in the report.
        CURL_HOME=str(checkout),
    )
    (checkout / ".curlrc").write_text("show-error\n")
    return env


@pytest.fixture
def live_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Path, dict[str, str]]]:
    if PG_URL:
        request.getfixturevalue("app")  # the session's migrated database, emptied
    checkout = scratch_checkout(tmp_path / "checkout")
    env = environment(checkout, free_port())
    out = tmp_path / "run.out"
    with out.open("wb") as sink:
        server = subprocess.Popen(
            [str(checkout / "scripts" / "run")],
            cwd=checkout,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240  # installing nothing, but two shared cores
        while "Admin token" not in out.read_text():
            assert server.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.3)
        yield checkout, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def session_script(runnable: list[Block]) -> str:
    parts = []
    for number, block in enumerate(runnable):
        parts.append(
            f"printf '\\n::readme-block {number} line {block.line}\\n' | tee /dev/stderr\n"
            "set -euo pipefail\n"
            f"{block.text}"
        )
    parts.append("printf '\\n::readme-done\\n'\n")
    return "\n".join(parts)


@pytest.mark.slow
def test_the_readme_runs(live_server: tuple[Path, dict[str, str]]) -> None:
    checkout, env = live_server
    runnable = [block for block in blocks() if block.treatment() == "run"]
    # While fixing one section: README_TEST_UNTIL=<line> runs the blocks up to that line.
    until = int(os.environ.get("README_TEST_UNTIL", "0")) or None
    runnable = [block for block in runnable if until is None or block.line <= until]
    script = checkout / "readme.sh"
    script.write_text(session_script(runnable))
    done = subprocess.run(
        ["bash", str(script)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0 or "::readme-done" not in done.stdout:
        failed = done.stdout.rsplit("::readme-block ", 1)[-1].split("\n", 1)[0]
        log = (checkout / "instance" / "scheduler.log").read_text(errors="replace")[-2000:]
        pytest.fail(
            f"README block {failed} failed (exit status {done.returncode})\n"
            f"--- stdout (tail)\n{done.stdout[-4000:]}\n--- stderr (tail)\n{done.stderr[-4000:]}"
            f"\n--- scheduler log (tail)\n{log}"
        )


def test_make_test_installs_jq(tmp_path: Path) -> None:
    """The walk-through needs jq: both halves of `make test` install it when missing."""
    for target in ("test-sqlite", "test-postgres"):
        plan = subprocess.run(
            ["make", "-n", f"VENV={tmp_path / 'venv'}", target],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        assert "scripts/ensure-jq" in plan
    script = (ROOT / "scripts" / "ensure-jq").read_text()
    assert "command -v jq" in script
    assert "apt-get install -y -qq jq" in script
