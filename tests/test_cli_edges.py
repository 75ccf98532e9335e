"""The edges of every command (issue 21): a database that cannot be opened or is not
migrated, or a bad setting, is one line naming the problem and the fix, exit status 1,
printed once: real ``flask`` and ``gunicorn`` processes, real databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.conftest import PG_URL, child_env
from workforce import db

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "workforce"]
NOT_MIGRATED = "Error: the database is not migrated: run `flask --app workforce db upgrade`"
#: The newest revision: a database one migration behind it must be told both.
HEAD = ScriptDirectory(str(db.MIGRATIONS)).get_current_head()
assert HEAD is not None


def run(args: list[str], url: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        env=child_env(WORKFORCE_DATABASE_URL=url, **settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal prints (on stderr, nothing on stdout), exit status 1."""
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # once, and no traceback
    assert done.stdout == ""
    return lines[0]


COMMANDS = {
    "seed-demo": ["seed-demo"],
    "seed-demo-live": ["seed-demo", "--live"],
    "demo-platform": ["demo-platform", "--duration", "1"],
    "tokens": ["tokens", "create", "--role", "admin", "--name", "x"],
    "audit": ["audit", "verify"],
    "scheduler": ["scheduler"],
    "pay": ["pay", "import-wages", str(ROOT / "data" / "wages-example.csv")],
    "contractors": ["contractors", "import", str(ROOT / "data" / "contractors-example.csv")],
}


def test_seed_demo_on_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    done = run([*FLASK, "seed-demo"], f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert one_error_line(done) == NOT_MIGRATED


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_every_command_on_an_unmigrated_database_says_to_migrate(
    command: list[str], tmp_path: Path
) -> None:
    done = run([*FLASK, *command], f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert one_error_line(done) == NOT_MIGRATED


@pytest.mark.slow
def test_a_database_behind_the_code_names_both_revisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    behind = ScriptDirectory(str(db.MIGRATIONS)).get_revision(HEAD).down_revision
    assert run([*FLASK, "db", "upgrade", str(behind)], url).returncode == 0
    done = run([*FLASK, "tokens", "create", "--role", "admin", "--name", "x"], url)
    assert one_error_line(done) == (
        f"Error: the database is at revision {behind} and this code needs {HEAD}: "
        "run `flask --app workforce db upgrade`"
    )
    assert run([*FLASK, "db", "upgrade"], url).returncode == 0
    created = run([*FLASK, "tokens", "create", "--role", "admin", "--name", "x"], url)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("wf_")


@pytest.mark.slow
def test_gunicorn_does_not_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    done = run(
        [sys.executable, "-m", "gunicorn", "--preload", "--config",
         "python:workforce.gunicorn_conf", "--bind", "127.0.0.1:0", "workforce:create_app()"],
        f"sqlite:///{tmp_path / 'new.sqlite3'}",
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    problems = [line for line in done.stderr.splitlines() if "database" in line]
    assert problems == [f"database error: {NOT_MIGRATED.removeprefix('Error: ')}"]


def test_an_unreachable_postgres_url_is_one_line_without_its_password(tmp_path: Path) -> None:
    # postgres:// (as many hosts give it) is read as psycopg 3's: the connection is tried.
    done = run([*FLASK, "seed-demo"], "postgres://moderator:hunter2-secret@127.0.0.1:1/workforce")
    line = one_error_line(done)
    assert line.startswith(
        "Error: cannot open the database postgresql+psycopg://moderator:***@127.0.0.1:1/workforce"
    )
    assert line.endswith("check WORKFORCE_DATABASE_URL and that the database is running")
    assert "hunter2" not in done.stderr


@pytest.mark.slow
def test_a_sqlite_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    done = run([*FLASK, "audit", "verify"], f"sqlite:///{tmp_path / 'missing' / 'w.sqlite3'}")
    assert one_error_line(done).startswith("Error: cannot open the database sqlite:///")
    done = run([*FLASK, "db", "upgrade"], f"sqlite:///{tmp_path / 'missing' / 'w.sqlite3'}")
    assert one_error_line(done).startswith("Error: cannot open the database sqlite:///")


@pytest.mark.skipif(not PG_URL, reason="needs WORKFORCE_TEST_DATABASE_URL (PostgreSQL)")
def test_a_postgres_url_reaches_the_real_database(app) -> None:
    url = "postgres://" + PG_URL.split("://", 1)[1]
    done = run([*FLASK, "tokens", "create", "--role", "admin", "--name", "x"], url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("wf_")


def test_postgres_urls_mean_psycopg_3() -> None:
    assert db.normalize_url("postgres://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.normalize_url("postgresql://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.normalize_url("postgresql+psycopg://h/d") == "postgresql+psycopg://h/d"
    assert db.normalize_url("sqlite:///x") == "sqlite:///x"


def test_a_cli_error_names_the_option_as_typed(database_url: str, app) -> None:
    done = run(
        [*FLASK, "tokens", "create", "--role", "contractor", "--name", "x", "--contractor", "999"],
        database_url,
    )
    assert one_error_line(done) == "Error: --contractor: contractor 999 does not exist"


@pytest.mark.slow
def test_an_unknown_revision_is_one_line(database_url: str) -> None:
    done = run([*FLASK, "db", "upgrade", "9999"], database_url)
    assert one_error_line(done) == "Error: Can't locate revision identified by '9999'"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (
            {"WORKFORCE_SHIFT_LIMITS": "{bad"},
            "configuration error: WORKFORCE_SHIFT_LIMITS: not valid JSON (Expecting property "
            "name enclosed in double quotes at character 2)",
        ),
        (
            {"WORKFORCE_SWEEP_INTERVAL_SECONDS": "soon"},
            "configuration error: WORKFORCE_SWEEP_INTERVAL_SECONDS: expected a whole number, "
            "got 'soon'",
        ),
        (
            {"WORKFORCE_DATABASE_URL": "mysql://h/d"},
            "configuration error: WORKFORCE_DATABASE_URL: mysql is not supported; expected "
            "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME",
        ),
    ],
    ids=["json", "int", "dialect"],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    settings: dict[str, str], line: str, tmp_path: Path
) -> None:
    url = settings.pop("WORKFORCE_DATABASE_URL", f"sqlite:///{tmp_path / 'w.sqlite3'}")
    assert one_error_line(run([*FLASK, "seed-demo"], url, **settings)) == line


def test_an_empty_json_setting_means_its_default(tmp_path: Path) -> None:
    done = run([*FLASK, "db", "upgrade"], f"sqlite:///{tmp_path / 'w.sqlite3'}",
               WORKFORCE_SHIFT_LIMITS="")  # fmt: skip
    assert done.returncode == 0, done.stderr
