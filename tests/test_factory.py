"""The app factory and configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from workforce import create_app
from workforce.config import load_config


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
