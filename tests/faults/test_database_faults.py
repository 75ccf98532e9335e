"""A database that is locked, read-only or gone: clients get a 503 with ``Retry-After``
well inside gunicorn's worker timeout, reads go on where they can, and the service heals
by itself once the fault is over."""

from __future__ import annotations

import runpy
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.conftest import bearer
from tests.faults.helpers import ROOT
from workforce import create_app, db
from workforce.auth import Token
from workforce.config import DEFAULTS


def sqlite_path(app) -> str:
    if not db.get_db(app).is_sqlite:
        pytest.skip("a SQLite fault")
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another process's writer, in the middle of a long transaction."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_every_retry_budget_ends_well_inside_the_worker_timeout() -> None:
    """3 attempts x 15 s was 45 s, past gunicorn's 30 s: clients got an empty reply."""
    worker_timeout = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["timeout"]
    budget = db.REQUEST_ATTEMPTS * DEFAULTS["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    assert budget <= worker_timeout / 2


def test_a_held_write_lock_answers_writes_503_in_budget_and_reads_200(
    app, make_token, tmp_path
) -> None:
    path = sqlite_path(app)
    busy = create_app(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SQLITE_BUSY_TIMEOUT_MS": 1000,
            "LOCK_DIR": str(tmp_path),
        }
    )
    client = busy.test_client()
    reader, writer = bearer(make_token("ops")), bearer(make_token("ops"))  # never used yet
    with write_lock_held(path):
        started = time.monotonic()
        read = client.get("/api/v1/contractors", headers=reader)
        read_seconds = time.monotonic() - started
        started = time.monotonic()
        write = client.post(
            "/api/v1/contractors",
            json={"full_name": "A", "email": "a@example.org", "country": "KE"},
            headers=writer,
        )
        write_seconds = time.monotonic() - started
    # a read never waits on the lock, not even to record its token's last use
    assert read.status_code == 200 and read_seconds < 0.5, (read.json, read_seconds)
    assert write.status_code == 503 and write.json["code"] == "database_busy"
    assert write.headers["Retry-After"] == "1"
    assert write_seconds < db.REQUEST_ATTEMPTS * 1.0 + 0.5, write_seconds
    # once the writer is gone, the next request records the token's use
    assert client.get("/api/v1/contractors", headers=reader).status_code == 200
    with db.get_db(app).reader() as session:
        used = session.scalars(select(Token.last_used_at).order_by(Token.id)).all()
    assert used[0] is not None and used[1] is None  # the reader's, recorded now
    db.get_db(busy).dispose()
