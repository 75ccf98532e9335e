"""The app factory and configuration."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY, child_env
from workforce import create_app
from workforce.config import SECRET_KEY_MIN_LENGTH, load_config


def test_overrides_beat_environment_which_beats_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFORCE_SWEEP_INTERVAL_SECONDS", "30")
    monkeypatch.setenv("WORKFORCE_PAGE_SIZE_MAX", "200")
    config = load_config(overrides={"PAGE_SIZE_MAX": 100})
    assert config["SWEEP_INTERVAL_SECONDS"] == 30  # coerced to the default's type
    assert config["PAGE_SIZE_MAX"] == 100
    assert load_config(environ={})["SWEEP_INTERVAL_SECONDS"] == 60


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKFORCE_DATABASE_URL", raising=False)
    app = create_app()
    assert (
        app.config["DATABASE_URL"] == f"sqlite:///{Path(app.instance_path) / 'workforce.sqlite3'}"
    )


def test_environment_picks_the_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    monkeypatch.setenv("WORKFORCE_DATABASE_URL", url)
    assert create_app().config["DATABASE_URL"] == url


def test_two_apps_keep_separate_api_specs(database_url: str) -> None:
    first = create_app({"DATABASE_URL": database_url})
    second = create_app({"DATABASE_URL": database_url})
    for app in (first, second):
        spec = app.test_client().get("/api/v1/openapi.json").json
        assert "/api/v1/contractors" in spec["paths"]


def test_health_needs_no_token(client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_docs_ui_is_served(client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


# --- the secret key -------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
NO_KEY_ENV = {k: v for k, v in child_env().items() if k != "WORKFORCE_SECRET_KEY"}


def refusal(command: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    done = subprocess.run(
        command,
        env={**env, "WORKFORCE_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "flask", "--app", "workforce", "scheduler"],
        [sys.executable, "-m", "flask", "--app", "workforce", "tokens", "create",
         "--role", "admin", "--name", "x"],
        [sys.executable, "-m", "gunicorn", "--preload", "--bind", "127.0.0.1:0",
         "workforce:create_app()"],
    ],
    ids=["scheduler", "cli", "gunicorn"],
)  # fmt: skip
@pytest.mark.parametrize(
    "key", [None, "", "x" * (SECRET_KEY_MIN_LENGTH - 1)], ids=["unset", "empty", "short"]
)
def test_nothing_starts_without_a_long_enough_secret_key(
    command: list[str], key: str | None, tmp_path: Path
) -> None:
    env = NO_KEY_ENV if key is None else {**NO_KEY_ENV, "WORKFORCE_SECRET_KEY": key}
    status, stderr = refusal(command, env, tmp_path)
    assert status == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # one clear line, no traceback
    assert "WORKFORCE_SECRET_KEY" in lines[0]
    assert not (tmp_path / "w.sqlite3").exists()  # refused before touching anything


@pytest.mark.slow
def test_a_long_enough_key_starts_the_cli(tmp_path: Path) -> None:
    env = {**NO_KEY_ENV, "WORKFORCE_SECRET_KEY": "k" * SECRET_KEY_MIN_LENGTH}
    status, stderr = refusal(
        [sys.executable, "-m", "flask", "--app", "workforce", "db", "upgrade"], env, tmp_path
    )
    assert status == 0, stderr


def test_there_is_no_default_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_config(environ={})["SECRET_KEY"] == ""
    with pytest.raises(SystemExit) as refused:
        create_app({"SECRET_KEY": ""})
    assert refused.value.code == 1
    assert "WORKFORCE_SECRET_KEY" in capsys.readouterr().err


def test_make_run_keeps_one_random_key_readable_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "secret_key"
    script = str(ROOT / "scripts" / "secret-key")
    first = subprocess.run([script, str(path)], capture_output=True, text=True, check=True)
    again = subprocess.run([script, str(path)], capture_output=True, text=True, check=True)
    key = first.stdout.strip()
    assert len(key) >= SECRET_KEY_MIN_LENGTH
    assert again.stdout.strip() == key  # created once, then reused
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = subprocess.run(
        [script, str(tmp_path / "other")], capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() != key  # random, not a constant


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHIFT_LIMITS", '{"Kenya": {"weekly_hours": 40}}'),
        ("AUDIT_KEY", "too-short"),
        ("DATABASE_URL", "not a url"),
        ("SESSION_COOKIE_SECURE", "ture"),
        ("PAY_DATE_BUSINESS_DAYS", "-1"),
        ("PAY_DATE_BUSINESS_DAYS", "five"),
    ],
)
def test_every_bad_setting_stops_with_one_line_naming_it(
    variable: str, value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"WORKFORCE_{variable}", value)
    with pytest.raises(SystemExit) as refused:
        create_app({"SECRET_KEY": TEST_SECRET_KEY})
    assert refused.value.code == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert f"WORKFORCE_{variable}" in line
