"""Fixtures: a migrated database (SQLite, or PostgreSQL when WORKFORCE_TEST_DATABASE_URL is
set), a fresh app and HTTP client per test, tokens per role, and
the factories of ``tests/factories.py`` bound to that app.

Each test starts from empty tables: the schema is migrated once per session, then every
table is emptied before each test, so requests can commit for real.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from tests import factories
from workforce import create_app, db
from workforce.cli import upgrade
from workforce.db import Base
from workforce.exposure.partitions import ensure_partitions
from workforce.models import load_all
from workforce.notifications.services import AT_ONCE_THREAD

PG_URL = os.environ.get("WORKFORCE_TEST_DATABASE_URL", "")
#: The service refuses to start without a key; the tests' own, in the environment so that
#: every ``create_app()`` of the suite and every process it starts (gunicorn, the
#: scheduler) has it. Tests that launch a process also pass it explicitly (``child_env``).
TEST_SECRET_KEY = "test-only-secret-key-0123456789abcdef"
os.environ["WORKFORCE_SECRET_KEY"] = TEST_SECRET_KEY


def child_env(**settings: str) -> dict[str, str]:
    """The environment of a process a test starts: ours, the test key, ``settings``."""
    return {**os.environ, "WORKFORCE_SECRET_KEY": TEST_SECRET_KEY, **settings}


def reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head, once per test session."""
    if PG_URL:
        reset_postgres_schema(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'workforce.sqlite3'}"
    migrator = create_app({"DATABASE_URL": url})
    upgrade(migrator)
    db.get_db(migrator).dispose()
    return url


def empty_tables(app: Flask) -> None:
    load_all()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.transaction(app) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            # a test may have dropped this month's partition of exposure_events (retention)
            ensure_partitions(session, db.utcnow(), months_ahead=2)
        else:
            for name in tables:
                session.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "LOCK_DIR": str(tmp_path / "locks"),
            "SECRET_KEY": TEST_SECRET_KEY,
            "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
            "MAIL_DIR": str(tmp_path / "mail"),
        }
    )
    empty_tables(app)
    yield app
    # An urgent notification is sent by a thread after its commit: let it finish with the
    # pool, so that no connection of this test outlives it (or meets the next test's data).
    for thread in threading.enumerate():
        if thread.name == AT_ONCE_THREAD:
            thread.join(timeout=30)
    db.get_db(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(autouse=True)
def fresh_numbering() -> None:
    """The factories number names from 1 again: a test builds the same data alone or in
    the suite."""
    factories.restart_numbering()


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """``make_token("ops")`` or ``make_token("contractor", contractor_id=3)`` -> raw token."""

    def make(role: str, contractor_id: int | None = None, name: str | None = None) -> str:
        return factories.make_token(app, role, contractor_id=contractor_id, name=name).raw

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def as_role(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Authorization headers for a fresh token of a role."""

    def headers(role: str, contractor_id: int | None = None) -> dict[str, str]:
        return bearer(make_token(role, contractor_id))

    return headers


@pytest.fixture
def admin(as_role: Callable[..., dict[str, str]]) -> dict[str, str]:
    return as_role("admin")


@pytest.fixture
def ops(as_role: Callable[..., dict[str, str]]) -> dict[str, str]:
    return as_role("ops")


@pytest.fixture
def new_contractor(app: Flask) -> Callable[..., int]:
    """``new_contractor(**fields)``: :func:`tests.factories.make_contractor` in this app."""

    def make(**fields: Any) -> int:
        return factories.make_contractor(app, **fields)

    return make
