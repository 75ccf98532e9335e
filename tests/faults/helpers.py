"""Shared pieces of the fault tests."""

from __future__ import annotations

import socket
import time

from flask import Flask
from sqlalchemy import text

from workforce import db


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
