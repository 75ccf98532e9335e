"""Shared pieces of the fault tests."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests import gunicorn_server
from workforce import db

#: The repository root (scripts, deploy files).
ROOT = Path(__file__).resolve().parents[2]


def wait_until_blocked(app: Flask, seconds: float = 20) -> None:
    """PostgreSQL: until another session waits on a lock (a row, an index entry, an
    advisory lock). SQLite: a moment; a second writer waits for the first at BEGIN
    IMMEDIATE anyway."""
    if db.get_db(app).engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with db.get_db(app).reader() as session:
            waiting = session.scalar(
                text("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the first")


def wait_for_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def gunicorn(app: Flask, log: Path, **settings: str) -> Iterator[int]:
    """gunicorn serving the app's database as ``make run`` starts it;  ``settings`` are
    ``WORKFORCE_*`` values. Yields the port once ``/api/v1/health`` answers."""
    env = {
        "WORKFORCE_LOCK_DIR": app.config["LOCK_DIR"],
        **{f"WORKFORCE_{name}": value for name, value in settings.items()},
    }
    with gunicorn_server.gunicorn(app.config["DATABASE_URL"], log, env=env) as base:
        yield int(base.rsplit(":", 1)[1])


@contextmanager
def slow_clients(port: int, count: int, every: float = 1.0) -> Iterator[None]:
    """``count`` connections that send a request's header lines one at a time, ``every``
    seconds apart, for as long as the block runs (a slowloris)."""
    stop = threading.Event()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]

    def drip() -> None:
        for sock in sockets:
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n")
        n = 0
        while not stop.wait(every):
            for sock in sockets:
                with suppress(OSError):  # the server gave up on it: fine
                    sock.sendall(f"X-Slow-{n}: x\r\n".encode())
            n += 1

    dripper = threading.Thread(target=drip)
    dripper.start()
    try:
        time.sleep(every / 2)  # all connections are open and talking
        yield
    finally:
        stop.set()
        dripper.join()
        for sock in sockets:
            sock.close()


# --- database faults ----------------------------------------------------------------------


def sqlite_path(app: Flask) -> str:
    if not db.get_db(app).is_sqlite:
        pytest.skip("a SQLite fault")
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def postgresql_only(app: Flask) -> None:
    if db.get_db(app).is_sqlite:
        pytest.skip("a PostgreSQL fault")


@contextmanager
def write_lock_held(path: str, *, release_after: float | None = None) -> Iterator[None]:
    """Another process's writer, in the middle of a long transaction; with
    ``release_after``, it ends that many seconds later, while the block still runs."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(release_after, holder.rollback) if release_after else None
    if release is not None:
        release.start()
    try:
        yield
    finally:
        if release is not None:
            release.cancel()
            release.join()
        holder.rollback()
        holder.close()


@contextmanager
def rows_locked(app: Flask, table: str) -> Iterator[None]:
    """PostgreSQL: another transaction holds every row of ``table`` (``FOR UPDATE``) while
    the block runs; the server ends it after 8 s idle, so that a request that waits for it
    fails its test instead of waiting for ever."""
    holder = db.get_db(app).engine.connect()
    holder.execute(text("SET LOCAL idle_in_transaction_session_timeout = '8s'"))
    holder.execute(text(f"SELECT 1 FROM {table} FOR UPDATE"))
    try:
        yield
    finally:
        with suppress(DBAPIError):  # ended by the server if the test was slow
            holder.rollback()
        holder.close()


@contextmanager
def immutable(path: str) -> Iterator[None]:
    """The database file and its write-ahead log made read-only for everyone, root included
    (``chattr +i``: the tests run as root, whom ``chmod`` does not stop). A read-only mount
    or a full disk fails the same way, with SQLite's READONLY, IOERR, FULL or CANTOPEN."""
    files = [path, f"{path}-wal"]
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", *files]).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)


def _ddl(app: Flask, *statements: str) -> None:
    with db.get_db(app).engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@contextmanager
def failing_commits(
    app: Flask, table: str, sqlstate: str, times: int = 1
) -> Iterator[Callable[[], int]]:
    """PostgreSQL: the server fails the next ``times`` commits that changed a row of
    ``table`` with ``sqlstate`` (a deferred constraint trigger: it runs at COMMIT, after
    the view). Yields how many times the trigger has run (once per row and commit)."""
    postgresql_only(app)
    _ddl(
        app,
        "CREATE SEQUENCE fault_commits",
        f"""CREATE FUNCTION fault_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('fault_commits') <= {times} THEN
                RAISE EXCEPTION 'a fault injected at commit' USING ERRCODE = '{sqlstate}';
            END IF;
            RETURN NULL;
        END $$""",
        f"""CREATE CONSTRAINT TRIGGER fault_commit AFTER INSERT OR UPDATE OR DELETE ON {table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_commit()""",
    )

    def fired() -> int:
        # nextval is not transactional: the failed commits count too
        with db.get_db(app).reader() as session:
            used = session.execute(text("SELECT last_value, is_called FROM fault_commits"))
            last_value, is_called = used.one()
        return int(last_value) if is_called else 0

    try:
        yield fired
    finally:
        _ddl(
            app,
            f"DROP TRIGGER fault_commit ON {table}",
            "DROP FUNCTION fault_commit()",
            "DROP SEQUENCE fault_commits",
        )


@contextmanager
def violated_at_commit(app: Flask, table: str) -> Iterator[None]:
    """Each update of ``table`` also stores a reference to no contractor under a foreign
    key checked at COMMIT (``DEFERRABLE INITIALLY DEFERRED``): the commit fails with a
    foreign-key violation, after the view, on SQLite and PostgreSQL alike."""
    dangling = "INSERT INTO fault_dangling (contractor_id) VALUES (0)"
    if db.get_db(app).is_sqlite:
        key = "INTEGER PRIMARY KEY"
        trigger = [f"CREATE TRIGGER fault_dangling AFTER UPDATE ON {table} BEGIN {dangling}; END"]
        drop = ["DROP TRIGGER fault_dangling"]
    else:
        key = "SERIAL PRIMARY KEY"
        trigger = [
            f"""CREATE FUNCTION fault_dangling() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {dangling}; RETURN NULL; END $$""",
            f"""CREATE TRIGGER fault_dangling AFTER UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION fault_dangling()""",
        ]
        drop = [f"DROP TRIGGER fault_dangling ON {table}", "DROP FUNCTION fault_dangling()"]
    _ddl(
        app,
        f"""CREATE TABLE fault_dangling (id {key}, contractor_id INTEGER
        REFERENCES contractors (id) DEFERRABLE INITIALLY DEFERRED)""",
        *trigger,
    )
    try:
        yield
    finally:
        _ddl(app, *drop, "DROP TABLE fault_dangling")
