"""Shared pieces of the fault tests."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from flask import Flask
from sqlalchemy import text

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
