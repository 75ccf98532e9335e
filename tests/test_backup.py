"""``flask --app workforce backup PATH``: a copy that keeps the WAL's tail, and an audit
verify that notices a copy which lost it (issue 19, point 8)."""

from __future__ import annotations

import gc
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import make_url, text

from workforce import audit, create_app, db
from workforce.backup import BackupError, backup_database

from .test_audit import _checkpoint, _make_history


def _is_sqlite(app: Flask) -> bool:
    return db.get_db(app).is_sqlite


def _open_copy(app: Flask, url: str) -> Flask:
    """The service pointed at a restored copy, with the same key and checkpoint file."""
    return create_app(
        {"DATABASE_URL": url, "AUDIT_CHECKPOINT_FILE": app.config["AUDIT_CHECKPOINT_FILE"]}
    )


def _checkpoint_wal(app: Flask) -> None:
    """Move everything so far into the main file. A reader still in a transaction (another
    test's process winding down) makes SQLite answer busy: try again until it is done."""
    deadline = time.monotonic() + 20
    while True:
        with db.get_db(app).engine.connect() as conn:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        if not busy:
            return
        assert time.monotonic() < deadline, "the WAL could not be checkpointed"
        gc.collect()  # a connection an earlier test dropped may still hold a read snapshot
        time.sleep(0.1)


def _counts(app: Flask) -> tuple[int, int]:
    with db.get_db(app).reader() as session:
        return (
            session.scalar(text("SELECT count(*) FROM audit_events")),
            session.scalar(text("SELECT count(*) FROM contractors")),
        )


def test_a_copy_without_its_wal_is_reported_as_a_lost_tail(
    app: Flask, client, admin, tmp_path: Path
) -> None:
    if not _is_sqlite(app):
        pytest.skip("the -wal file is SQLite's")
    _make_history(client, admin, 2)
    _checkpoint_wal(app)
    _make_history(client, admin, 3)  # the tail: only in the -wal while the service runs
    _checkpoint(app)
    source = Path(make_url(app.config["DATABASE_URL"]).database or "")
    assert Path(f"{source}-wal").stat().st_size > 0
    bad = tmp_path / "cp-copy.sqlite3"
    shutil.copyfile(source, bad)  # the bad way: the main file alone
    restored = _open_copy(app, f"sqlite:///{bad}")
    try:
        result = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 1
        assert "the log ends at event 3" in result.output
        assert "covers 6 events: the tail was lost" in result.output
    finally:
        db.get_db(restored).dispose()


def test_the_backup_command_copies_the_tail_and_verifies(
    app: Flask, client, admin, tmp_path: Path
) -> None:
    if not _is_sqlite(app):
        pytest.skip("PostgreSQL is dumped with pg_dump (next test)")
    _make_history(client, admin, 2)
    _checkpoint_wal(app)
    _make_history(client, admin, 3)
    _checkpoint(app)
    target = tmp_path / "backup.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "6 audit events" in result.output
    assert not Path(f"{target}-wal").exists()  # one self-contained file
    restored = _open_copy(app, f"sqlite:///{target}")
    try:
        verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        assert _counts(restored) == _counts(app) == (6, 5)
    finally:
        db.get_db(restored).dispose()
    again = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert again.exit_code == 1 and "never overwrites" in again.output


def test_a_backup_taken_while_the_service_writes_is_consistent(
    app: Flask, client, admin, tmp_path: Path
) -> None:
    """The copy is one snapshot: a writer appending audit rows meanwhile leaves it intact."""
    if not _is_sqlite(app):
        pytest.skip("PostgreSQL is dumped with pg_dump (next test)")
    _make_history(client, admin, 2)
    _checkpoint(app)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with db.transaction(app) as session:
                for _ in range(20):
                    audit.record(session, "load.test", "nothing", None, actor=audit.SYSTEM)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.2)
        target = tmp_path / "live.sqlite3"
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    restored = _open_copy(app, f"sqlite:///{target}")
    try:
        verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        copied, _ = _counts(restored)
        assert 3 < copied <= _counts(app)[0]
    finally:
        db.get_db(restored).dispose()


def test_postgres_is_dumped_with_pg_dump(app: Flask, client, admin, tmp_path: Path) -> None:
    if _is_sqlite(app):
        pytest.skip("pg_dump is for PostgreSQL")
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_dump is not installed")
    _make_history(client, admin, 2)
    target = tmp_path / "backup.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    )
    assert "TABLE DATA public audit_events" in listing.stdout


def test_a_missing_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        list(backup_database(f"sqlite:///{tmp_path / 'absent.sqlite3'}", tmp_path / "b"))
    assert not (tmp_path / "b").exists()
