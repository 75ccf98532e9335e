"""WORKFORCE_REPLICA_DATABASE_URL and WORKFORCE_REPLICA_MAX_LAG_SECONDS: a bad value stops
the start with one line; SQLite refuses a replica; without one, reports say they read the
primary. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from workforce import create_app, db

PG = "postgresql://workforce@db.example:5432/workforce"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"DATABASE_URL": "sqlite:////tmp/w.sqlite3", "REPLICA_DATABASE_URL": PG},
            "WORKFORCE_REPLICA_DATABASE_URL: a replica needs a PostgreSQL primary",
        ),
        (
            {"DATABASE_URL": "", "REPLICA_DATABASE_URL": PG},
            "WORKFORCE_REPLICA_DATABASE_URL: a replica needs a PostgreSQL primary",
        ),
        (
            {"DATABASE_URL": PG, "REPLICA_DATABASE_URL": "replica.example"},
            "WORKFORCE_REPLICA_DATABASE_URL: not a database URL",
        ),
        (
            {"DATABASE_URL": PG, "REPLICA_DATABASE_URL": "sqlite:////tmp/replica.sqlite3"},
            "WORKFORCE_REPLICA_DATABASE_URL: a replica must be a PostgreSQL database",
        ),
        (
            {"DATABASE_URL": PG, "REPLICA_DATABASE_URL": PG, "REPLICA_MAX_LAG_SECONDS": -1},
            "WORKFORCE_REPLICA_MAX_LAG_SECONDS: expected seconds >= 0",
        ),
    ],
)
def test_a_bad_replica_setting_stops_the_start_with_one_line(
    settings: dict[str, Any], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        create_app(settings)
    assert stopped.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"configuration error: {message}")
    assert "\n" not in err


def test_a_lag_limit_that_is_not_a_number_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORKFORCE_REPLICA_MAX_LAG_SECONDS", "soon")
    with pytest.raises(SystemExit):
        create_app()
    assert "WORKFORCE_REPLICA_MAX_LAG_SECONDS: expected a number" in capsys.readouterr().err


def test_without_a_replica_every_report_reads_the_primary(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    report = client.get("/api/v1/reports/rotations?from=2026-03-02&to=2026-03-15", headers=admin)
    assert report.status_code == 200
    body = report.get_json()
    assert (body["read_from"], body["replica_lag_seconds"]) == ("primary", None)
    assert report.headers[db.READ_FROM_HEADER] == "primary"
    assert db.REPLICA_LAG_HEADER not in report.headers
