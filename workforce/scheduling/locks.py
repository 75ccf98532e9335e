"""Job locks: one scheduler runs a job at a time; a second process is a standby.

PostgreSQL: ``pg_try_advisory_xact_lock`` inside the job's own transaction, released at
commit or rollback. SQLite: an exclusive file lock beside the database, held for the run.
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
