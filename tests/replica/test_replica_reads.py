"""Reports, exports and the exposure view read a real streaming standby while it is recent
enough, the primary otherwise; eligibility never reads it; a replica that is down or hangs
costs a short timeout, never an error. PostgreSQL only (skipped on SQLite)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import PG_URL
from tests.replica.conftest import Standby, wait_caught_up
from workforce import db
from workforce.exposure import policy
from workforce.reports.evidence import content_hash

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="a streaming replica needs PostgreSQL (SQLite refuses the setting)"
)

PERIOD = "from=2026-03-02&to=2026-03-15"
REPORT = f"/api/v1/reports/exposure?{PERIOD}&group_by=week"


def _ready(app: Flask, standby: Standby, database_url: str) -> None:
    """The default policy written on the primary and replayed by the standby."""
    with db.transaction(app) as session:
        policy.ensure_default(session)
    wait_caught_up(standby, database_url)


def test_a_report_reads_the_replica_and_says_so(
    app: Flask,
    standby: Standby,
    database_url: str,
    replica_client: Callable[..., FlaskClient],
    admin: dict[str, str],
) -> None:
    factories.make_contractor(app)
    _ready(app, standby, database_url)
    client = replica_client(standby.url)

    body = client.get(REPORT, headers=admin).get_json()
    assert body["read_from"] == "replica"
    assert 0 <= body["replica_lag_seconds"] < 5
    # where it was read is part of the evidence: the hash covers it, the run keeps it
    assert body["sha256"] == content_hash(body)
    run = client.get(f"/api/v1/reports/runs/{body['run_id']}", headers=admin)
    assert run.status_code == 200  # written a moment ago: the primary has it if the replica not
    assert run.get_json() == body

    for fmt in ("csv", "xlsx"):
        table = client.get(f"{REPORT}&format={fmt}", headers=admin)
        assert table.status_code == 200
        assert table.headers[db.READ_FROM_HEADER] == "replica"
        assert float(table.headers[db.REPLICA_LAG_HEADER]) < 5
    chart = client.get(f"/api/v1/reports/exposure.png?{PERIOD}", headers=admin)
    assert chart.status_code == 200 and chart.headers[db.READ_FROM_HEADER] == "replica"
    export = client.get("/api/v1/contractors/export", headers=admin)
    assert export.status_code == 200 and export.headers[db.READ_FROM_HEADER] == "replica"
    assert b"Contractor 1" in export.data
    # the wellbeing report freezes a bin that is over for good: it reads the primary
    wellbeing = client.get("/api/v1/reports/wellbeing?from=2026-03-01&to=2026-03-31", headers=admin)
    assert wellbeing.status_code == 200, wellbeing.get_json()
    assert wellbeing.get_json()["read_from"] == "primary"


@pytest.fixture
def paused(standby: Standby) -> Iterator[Standby]:
    """The standby with its replay paused (it keeps receiving WAL), resumed afterwards."""
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        yield standby
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")


def test_a_replica_behind_the_limit_is_left_for_the_primary(
    app: Flask,
    standby: Standby,
    database_url: str,
    replica_client: Callable[..., FlaskClient],
    admin: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    _ready(app, standby, database_url)
    client = replica_client(standby.url, 1.0)
    assert client.get(REPORT, headers=admin).get_json()["read_from"] == "replica"

    request.getfixturevalue("paused")
    factories.make_contractor(app)  # a write on the primary the standby does not replay
    time.sleep(db.REPLICA_CHECK_SECONDS + 1.2)
    body = client.get(REPORT, headers=admin).get_json()
    assert body["read_from"] == "primary"
    assert body["replica_lag_seconds"] > 1.0
    csv = client.get(f"{REPORT}&format=csv", headers=admin)
    assert csv.headers[db.READ_FROM_HEADER] == "primary"


def test_eligibility_never_reads_the_replica(
    app: Flask,
    standby: Standby,
    database_url: str,
    replica_client: Callable[..., FlaskClient],
    admin: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    _ready(app, standby, database_url)
    client = replica_client(standby.url, 3600.0)  # the stale replica is good enough for views
    request.getfixturevalue("paused")
    contractor = factories.make_contractor(app)  # on the primary only
    factories.make_queue(app, slug="text-review")

    view = client.get(f"/api/v1/contractors/{contractor}/exposure", headers=admin)
    assert view.headers[db.READ_FROM_HEADER] == "replica"
    assert view.status_code == 404  # the replica has not replayed the contractor yet
    eligibility = client.get(
        f"/api/v1/contractors/{contractor}/eligibility?queue=text-review", headers=admin
    )
    assert eligibility.status_code == 200, eligibility.get_json()
    assert db.READ_FROM_HEADER not in eligibility.headers


@pytest.fixture
def own_standby(database_url: str) -> Iterator[Standby]:
    """A standby of this test's own, which it may stop."""
    started = Standby(database_url)
    yield started
    started.remove()


def test_a_stopped_replica_falls_back_to_the_primary(
    app: Flask,
    own_standby: Standby,
    database_url: str,
    replica_client: Callable[..., FlaskClient],
    admin: dict[str, str],
) -> None:
    _ready(app, own_standby, database_url)
    client = replica_client(own_standby.url)
    assert client.get(REPORT, headers=admin).get_json()["read_from"] == "replica"

    own_standby.stop()  # within the lag's cache: the pooled connection finds it gone
    for _ in range(2):
        answer = client.get(REPORT, headers=admin)
        assert answer.status_code == 200
        assert answer.get_json()["read_from"] == "primary"
        assert answer.get_json()["replica_lag_seconds"] is None


@pytest.fixture
def hanging_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a replica hung mid-start)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_hanging_replica_costs_a_short_timeout_then_nothing(
    app: Flask,
    standby: Standby,
    database_url: str,
    replica_client: Callable[..., FlaskClient],
    admin: dict[str, str],
    hanging_server: int,
) -> None:
    _ready(app, standby, database_url)
    hung = standby.url.replace(f":{standby.port}/", f":{hanging_server}/")
    client = replica_client(hung)

    started = time.monotonic()
    first = client.get(REPORT, headers=admin)
    assert first.status_code == 200
    assert first.get_json()["read_from"] == "primary"
    assert time.monotonic() - started < 3 * db.REPLICA_CONNECT_TIMEOUT_SECONDS + 2

    started = time.monotonic()
    again = client.get(f"/api/v1/reports/rotations?{PERIOD}", headers=admin)
    assert again.get_json()["read_from"] == "primary"
    assert time.monotonic() - started < 1.5  # not tried again until REPLICA_RETRY_SECONDS


def test_while_one_request_waits_on_a_hanging_replica_the_others_read_the_primary(
    app: Flask,
    standby: Standby,
    database_url: str,
    replica_client: Callable[..., FlaskClient],
    admin: dict[str, str],
    hanging_server: int,
) -> None:
    """The lag is measured by one request, outside the lock: the others do not queue
    behind a replica that does not answer."""
    _ready(app, standby, database_url)
    client = replica_client(standby.url.replace(f":{standby.port}/", f":{hanging_server}/"))
    first = threading.Thread(target=lambda: client.get(REPORT, headers=admin))
    first.start()
    time.sleep(0.3)  # the first request is measuring the hanging replica now
    started = time.monotonic()
    other = client.get(f"/api/v1/reports/rotations?{PERIOD}", headers=admin)
    took = time.monotonic() - started
    first.join(timeout=30)
    assert other.status_code == 200 and other.get_json()["read_from"] == "primary"
    assert took < db.REPLICA_CONNECT_TIMEOUT_SECONDS - 0.5, took
