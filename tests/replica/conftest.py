"""A real PostgreSQL streaming standby of the test database (``scripts/pg-standby``), and
apps that read it. PostgreSQL only: SQLite has no replica (the setting is refused there,
tests/replica/test_replica_config.py)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, TEST_SECRET_KEY
from tests.gunicorn_server import free_port
from workforce import create_app, db

PG_STANDBY = Path(__file__).resolve().parents[2] / "scripts" / "pg-standby"


class Standby:
    """A standby started by ``scripts/pg-standby`` in a directory of its own."""

    def __init__(self, primary_url: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="workforce-standby."))
        self.home.chmod(0o755)  # the postgres user reaches its directory inside
        self.dir = self.home / "standby"
        self.port = free_port()
        self.url = make_url(primary_url).set(port=self.port).render_as_string(hide_password=False)
        primary_port = str(make_url(primary_url).port)
        subprocess.run(
            [str(PG_STANDBY), "start", primary_port, str(self.dir), str(self.port)],
            check=True,
            timeout=180,
        )
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT")

    def sql(self, statement: str) -> object:
        with self.engine.connect() as conn:
            return conn.execute(text(statement)).scalar()

    def stop(self) -> None:
        self.engine.dispose()
        subprocess.run([str(PG_STANDBY), "stop", str(self.dir)], check=True, timeout=120)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def wait_caught_up(standby: Standby, primary_url: str, timeout: float = 30) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    primary = create_engine(primary_url)
    try:
        with primary.connect() as conn:
            target = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar()
    finally:
        primary.dispose()
    deadline = time.monotonic() + timeout
    while True:
        done = standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the standby did not catch up")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def standby(database_url: str) -> Iterator[Standby]:
    if not PG_URL:
        pytest.skip("a streaming replica needs PostgreSQL (WORKFORCE_TEST_DATABASE_URL)")
    started = Standby(database_url)  # after the migrations: the schema is replicated too
    yield started
    started.remove()


@pytest.fixture
def replica_client(
    app: Flask, database_url: str, tmp_path: Path
) -> Iterator[Callable[..., FlaskClient]]:
    """``replica_client(replica_url, max_lag)``: a client of an app reading that replica
    (the ``app`` fixture has emptied the tables and writes the test's data)."""
    made: list[Flask] = []

    def make(replica_url: str, max_lag: float = 30.0) -> FlaskClient:
        reader = create_app(
            {
                "DATABASE_URL": database_url,
                "REPLICA_DATABASE_URL": replica_url,
                "REPLICA_MAX_LAG_SECONDS": max_lag,
                "TESTING": True,
                "LOCK_DIR": str(tmp_path / "locks"),
                "SECRET_KEY": TEST_SECRET_KEY,
                "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
                "MAIL_DIR": str(tmp_path / "mail"),
            }
        )
        made.append(reader)
        return reader.test_client()

    yield make
    for reader in made:
        db.get_db(reader).dispose()
