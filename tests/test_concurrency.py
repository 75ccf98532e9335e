"""Concurrent writers: no 5xx on SQLite (WAL, busy timeout, IMMEDIATE writers), and a
PostgreSQL deadlock is retried from the start of the request."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text, update

from workforce import db
from workforce.contractors.models import Contractor
from workforce.identity.access import roles


def test_concurrent_writers_all_succeed(app, make_token) -> None:
    token = make_token("ops")

    def create(n: int) -> int:
        client = app.test_client()
        response = client.post(
            "/api/v1/contractors",
            json={"full_name": f"W{n}", "email": f"w{n}@example.org", "country": "KE"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(80)))
    assert statuses == [201] * 80
    client = app.test_client()
    listed = client.get("/api/v1/contractors", headers={"Authorization": f"Bearer {token}"})
    assert listed.json["total"] == 80
    verify = client.get(
        "/api/v1/audit-events/verify", headers={"Authorization": f"Bearer {make_token('admin')}"}
    )
    assert verify.json["ok"] is True


def test_a_deadlock_is_retried(app, make_token, new_contractor) -> None:
    if db.get_db(app).is_sqlite:
        pytest.skip("SQLite serialises writers: there are no row-lock deadlocks to retry")
    first, second = new_contractor(), new_contractor()
    both_locked_one = threading.Barrier(2, timeout=10)
    runs: Counter[int] = Counter()

    @roles("admin")
    def lock_in_order(a: int, b: int) -> dict[str, bool]:
        runs[a] += 1
        session = db.session()
        session.execute(update(Contractor).where(Contractor.id == a).values(full_name="x"))
        if runs[a] == 1:
            both_locked_one.wait()  # each holds one row and reaches for the other
        session.execute(update(Contractor).where(Contractor.id == b).values(full_name="y"))
        return {"ok": True}

    app.add_url_rule("/test/lock/<int:a>/<int:b>", view_func=lock_in_order, methods=["POST"])
    token = make_token("admin")

    def call(pair: tuple[int, int]) -> int:
        response = app.test_client().post(
            f"/test/lock/{pair[0]}/{pair[1]}", headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(call, [(first, second), (second, first)]))
    assert statuses == [200, 200]
    assert sum(runs.values()) == 3  # the deadlock victim ran a second time


def test_a_serialization_failure_is_retried(app, make_token, new_contractor) -> None:
    if db.get_db(app).is_sqlite:
        pytest.skip("SQLite serialises writers: there are no serialization failures")
    target = new_contractor()
    both_read = threading.Barrier(2, timeout=10)
    runs: Counter[str] = Counter()

    @roles("admin")
    def update_from_snapshot(name: str) -> dict[str, bool]:
        runs[name] += 1
        session = db.session()
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        session.get(Contractor, target)  # takes the snapshot
        if runs[name] == 1:
            both_read.wait()  # both hold a snapshot from before either write
        session.execute(update(Contractor).where(Contractor.id == target).values(full_name=name))
        return {"ok": True}

    app.add_url_rule("/test/snapshot/<name>", view_func=update_from_snapshot, methods=["POST"])
    token = make_token("admin")

    def call(name: str) -> int:
        response = app.test_client().post(
            f"/test/snapshot/{name}", headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(call, ["a", "b"]))
    # the second writer saw "could not serialize access due to concurrent update" (40001)
    # and ran again from the start on a fresh snapshot
    assert statuses == [200, 200]
    assert sorted(runs.values()) == [1, 2]
