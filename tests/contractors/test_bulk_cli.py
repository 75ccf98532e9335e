"""``flask contractors import FILE [--dry-run]``: the import of the API, from a file."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import child_env
from workforce import db
from workforce.contractors.models import Contractor

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "contractors-example.csv"


def count(app: Flask) -> int:
    with db.get_db(app).reader() as session:
        return int(session.scalar(select(func.count()).select_from(Contractor)) or 0)


def test_the_example_imports_once_then_is_unchanged(app: Flask) -> None:
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["contractors", "import", "--dry-run", str(EXAMPLE)])
    assert dry.exit_code == 0, dry.output
    assert "3 created, 0 updated, 0 unchanged (dry run: nothing stored)" in dry.output
    assert count(app) == 0
    first = runner.invoke(args=["contractors", "import", str(EXAMPLE)])
    assert first.exit_code == 0, first.output
    assert "contractors: 3 created, 0 updated, 0 unchanged" in first.output
    second = runner.invoke(args=["contractors", "import", str(EXAMPLE)])
    assert "contractors: 0 created, 0 updated, 3 unchanged" in second.output
    with db.get_db(app).reader() as session:
        camila = session.scalars(
            select(Contractor).where(Contractor.external_ref == "EX-CO-001")
        ).one()
    assert (camila.full_name, camila.status) == ("Camila Rojas, Jr.", "suspended")


def test_every_bad_row_on_a_line_and_nothing_stored(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "external_ref,full_name,email,country\n"
        "KE-1,Fine,fine@example.org,KE\n"
        "KE-2,Bad Email,nope,KE\n"
        "KE-3,Bad Country,b@example.org,XX\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["contractors", "import", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}: rows.3.email: ")
    assert lines[1].startswith(f"{path}: rows.4.country: ")
    assert lines[-1] == "Error: 2 row(s) are wrong; nothing was imported"
    assert count(app) == 0


def test_an_xlsx_file_by_its_suffix(app: Flask, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["external_ref", "full_name", "email", "country"])
    book.active.append(["KE-1", "Achieng", "achieng@example.org", "KE"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    result = app.test_cli_runner().invoke(args=["contractors", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert count(app) == 1


@pytest.mark.slow
def test_an_import_shows_progress_on_a_terminal_only(database_url: str, app: Flask) -> None:
    command = [sys.executable, "-m", "flask", "--app", "workforce", "contractors", "import",
               str(EXAMPLE)]  # fmt: skip
    env = child_env(WORKFORCE_DATABASE_URL=database_url)
    piped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    leader, follower = pty.openpty()
    with os.fdopen(leader, "rb", buffering=0) as terminal:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=follower,
                              text=True, timeout=60)  # fmt: skip
        os.close(follower)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once the child's end is closed
            while chunk := terminal.read(4096):
                drawn += chunk
    assert done.returncode == 0
    assert "0 created, 0 updated, 3 unchanged" in done.stdout
    assert b"\rcontractors: 3/3 rows checked" in drawn
