"""``flask --app workforce backup PATH``: a consistent copy of a live database.

Copying a SQLite file with ``cp`` loses whatever is still in its ``-wal`` file (committed
transactions not yet checkpointed into the main file): the copy opens cleanly, minus its
tail. SQLite's online backup API reads through the database's own pager, so the copy
includes the WAL's content and is one snapshot even while the service writes. PostgreSQL
is dumped with ``pg_dump`` (one snapshot too), or the guidance is printed when it is absent.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

PG_GUIDANCE = (
    "pg_dump is not installed here. Back PostgreSQL up with "
    "`pg_dump --format=custom --file PATH DBNAME` (a consistent snapshot while the service "
    "runs), or with continuous archiving for point-in-time recovery; see docs/operations.md"
)


class BackupError(Exception):
    """The backup could not be made; nothing was left at the target path."""


def backup_database(url: str, target: Path) -> Iterator[str]:
    """Copy the database at ``url`` to ``target``, yielding progress lines."""
    if target.exists():
        raise BackupError(f"{target} exists; choose a new path (a backup never overwrites)")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        yield from _sqlite(Path(parsed.database or ""), target)
    elif parsed.get_backend_name() == "postgresql":
        yield from _postgres(url, target)
    else:  # pragma: no cover - only the two databases are supported
        raise BackupError(f"no backup for {parsed.get_backend_name()}")


def _sqlite(source: Path, target: Path) -> Iterator[str]:
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Read-only: the backup never writes to the live database.
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: the whole database in one step, so the copy is a single snapshot.
        src.backup(dst, pages=-1)
        # The copy is one self-contained file: no -wal of its own to forget.
        dst.execute("PRAGMA journal_mode=DELETE")
        audit_rows = dst.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    yield f"backed up {source} to {target}: {audit_rows} audit events"


def _postgres(url: str, target: Path) -> Iterator[str]:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(PG_GUIDANCE)
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        # Through the environment: a password on the command line is visible in `ps`.
        env["PGPASSWORD"] = str(parsed.password)
        parsed = parsed.set(password=None)
    partial = target.with_name(target.name + ".partial")
    dsn = parsed.render_as_string(hide_password=False)
    result = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(partial), dsn],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.replace(target)
    yield f"backed up with pg_dump (custom format) to {target}; restore with pg_restore"
