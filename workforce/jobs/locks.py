"""Job locks: one scheduler runs a job at a time; a second process is a standby.

PostgreSQL: ``pg_try_advisory_xact_lock`` inside the job's own transaction, released at
commit or rollback. SQLite: an exclusive file lock beside the database, held for the run.
A request that runs a job's work itself (``POST /rotations/sweep``) waits for the same lock
instead (:func:`wait_for_job_lock`), so a sweep never runs beside another one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from workforce.db import get_db, lock_wait_ms
from workforce.errors import DatabaseBusy


def lock_key(job_id: str) -> int:
    """A stable signed 64-bit key per job name for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"workforce.job.{job_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_dir(app: Flask) -> Path:
    path = Path(app.config["LOCK_DIR"] or app.instance_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def job_lock(app: Flask, session: Session, job_id: str) -> Iterator[bool]:
    """Yield True when this process holds the job's lock, False when another one does."""
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_key(job_id)})
        yield bool(got)
        return
    lock = FileLock(str(lock_dir(app) / f"job-{job_id}.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


@contextmanager
def wait_for_job_lock(app: Flask, session: Session, job_id: str) -> Iterator[None]:
    """Hold the job's lock for the caller's transaction, waiting for it as long as SQLite
    waits for a writer (``SQLITE_BUSY_TIMEOUT_MS``, within the request's budget:
    :func:`workforce.db.lock_wait_ms`); then 503 ``database_busy``.

    Take it before the transaction's first statement: on SQLite the scheduler takes the
    file lock before its write transaction, and the other order could leave each waiting
    for the other. PostgreSQL's wait ends in a lock timeout, retried like a deadlock.
    """
    wait_ms = lock_wait_ms(get_db(app).busy_timeout_ms)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = {int(wait_ms)}"))
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(job_id)})
        session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
        yield
        return
    lock = FileLock(str(lock_dir(app) / f"job-{job_id}.lock"), timeout=wait_ms / 1000)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseBusy(f"another {job_id} run is in progress; retry the request") from None
    try:
        yield
    finally:
        lock.release()
