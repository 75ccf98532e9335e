"""A database that is locked, read-only or gone: clients get a 503 with ``Retry-After``
well inside gunicorn's worker timeout, reads go on where they can, and the service heals
by itself once the fault is over."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import bearer
from tests.faults.helpers import immutable, sqlite_path, write_lock_held
from tests.gunicorn_server import free_port
from workforce import create_app, db, gunicorn_conf
from workforce.config import DEFAULTS
from workforce.http import close_session
from workforce.identity.models import Token


def test_every_retry_budget_ends_well_inside_the_worker_timeout() -> None:
    """3 attempts x 15 s was 45 s, past gunicorn's 30 s: clients got an empty reply."""
    worker_timeout = gunicorn_conf.timeout
    budget = db.REQUEST_ATTEMPTS * DEFAULTS["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    assert budget <= worker_timeout / 2


def test_a_held_write_lock_answers_writes_503_in_budget_and_reads_200(
    app, make_token, tmp_path
) -> None:
    path = sqlite_path(app)
    busy = create_app(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SQLITE_BUSY_TIMEOUT_MS": 1000,
            "LOCK_DIR": str(tmp_path),
        }
    )
    client = busy.test_client()
    reader, writer = bearer(make_token("ops")), bearer(make_token("ops"))  # never used yet
    with write_lock_held(path):
        started = time.monotonic()
        read = client.get("/api/v1/contractors", headers=reader)
        read_seconds = time.monotonic() - started
        started = time.monotonic()
        write = client.post(
            "/api/v1/contractors",
            json={"full_name": "A", "email": "a@example.org", "country": "KE"},
            headers=writer,
        )
        write_seconds = time.monotonic() - started
    # a read never waits on the lock, not even to record its token's last use
    assert read.status_code == 200 and read_seconds < 0.5, (read.json, read_seconds)
    assert write.status_code == 503 and write.json["code"] == "database_busy"
    assert write.headers["Retry-After"] == "1"
    assert write_seconds < db.REQUEST_ATTEMPTS * 1.0 + 0.5, write_seconds
    # once the writer is gone, the next request records the token's use
    assert client.get("/api/v1/contractors", headers=reader).status_code == 200
    with db.get_db(app).reader() as session:
        used = session.scalars(select(Token.last_used_at).order_by(Token.id)).all()
    assert used[0] is not None and used[1] is None  # the reader's, recorded now
    db.get_db(busy).dispose()


def test_a_row_locked_on_postgresql_answers_503_in_budget(app, make_token, new_contractor) -> None:
    """A PostgreSQL transaction holding a row: the request that needs it gives up with its
    budget (``lock_timeout``), as on SQLite, instead of waiting as long as the holder."""
    if db.get_db(app).is_sqlite:
        pytest.skip("a PostgreSQL fault")
    cid = new_contractor()
    busy = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SQLITE_BUSY_TIMEOUT_MS": 500})
    headers = bearer(make_token("ops"))
    busy.test_client().get("/api/v1/contractors", headers=headers)  # its last use recorded
    holder = db.get_db(app).engine.connect()
    # the server ends the holder after 8 s idle, so that without the budget this test fails
    # (a slow 200) instead of waiting for ever
    holder.execute(text("SET LOCAL idle_in_transaction_session_timeout = '8s'"))
    holder.execute(text("SELECT 1 FROM contractors WHERE id = :id FOR UPDATE"), {"id": cid})
    try:
        started = time.monotonic()
        answer = busy.test_client().patch(
            f"/api/v1/contractors/{cid}", json={"full_name": "B"}, headers=headers
        )
        seconds = time.monotonic() - started
    finally:
        with contextlib.suppress(DBAPIError):  # ended by the server if the test was slow
            holder.rollback()
        holder.close()
    assert answer.status_code == 503 and answer.json["code"] == "database_busy", answer.json
    assert seconds < db.REQUEST_ATTEMPTS * 0.5 + 1.0, seconds
    db.get_db(busy).dispose()


def test_a_read_only_database_answers_503_and_heals_without_a_restart(
    app, make_token, tmp_path
) -> None:
    path = sqlite_path(app)
    headers = bearer(make_token("ops"))
    served = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "LOCK_DIR": str(tmp_path)})
    client = served.test_client()

    def create(n: int) -> int:
        body = {"full_name": f"P{n}", "email": f"p{n}@example.org", "country": "KE"}
        response = client.post("/api/v1/contractors", json=body, headers=headers)
        if response.status_code == 503:
            assert response.json["code"] == "database_unavailable", response.json
            assert response.headers["Retry-After"] == "5"
        return response.status_code

    assert create(0) == 201
    with immutable(path):
        assert [create(n) for n in (1, 2)] == [503, 503]  # was 500 internal_error
        # connections opened now (a new worker, a busier pool) can only ever read
        db.get_db(served).engine.dispose()
        assert client.get("/api/v1/contractors", headers=headers).status_code == 200
    # the connections opened while the file was read-only were dropped: writes work again
    assert [create(n) for n in range(3, 8)] == [201] * 5
    listed = client.get("/api/v1/contractors", headers=headers).json
    assert [item["full_name"] for item in listed["items"]] == ["P0", "P3", "P4", "P5", "P6", "P7"]
    db.get_db(served).dispose()


def test_postgresql_down_answers_503_and_readiness_says_so(tmp_path) -> None:
    """A server that is not there (a closed port): 503 ``database_unavailable``, not 500;
    liveness stays 200, readiness answers 503 naming the database."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/workforce"
    client = create_app({"DATABASE_URL": url, "LOCK_DIR": str(tmp_path)}).test_client()
    token = bearer("wf_" + "x" * 43)
    for response in (
        client.get("/api/v1/contractors", headers=token),
        client.post("/api/v1/contractors", json={"full_name": "A"}, headers=token),
    ):
        assert response.status_code == 503, response.json
        assert response.json["code"] == "database_unavailable"
        assert response.headers["Retry-After"] == "5"
    assert client.get("/api/v1/health").status_code == 200
    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"]["ok"] is False


def test_a_connection_cut_mid_request_answers_503_and_the_pool_heals(
    app, make_token, new_contractor
) -> None:
    """The server ends the connection under a request (a fail-over's fast shutdown, an
    operator's ``pg_terminate_backend``): a retryable 503, never a 500, nothing stored, and
    the next request is served on a fresh connection."""
    if db.get_db(app).is_sqlite:
        pytest.skip("a PostgreSQL fault")
    cid = new_contractor()
    cut = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SQLITE_BUSY_TIMEOUT_MS": 5000})
    headers = bearer(make_token("ops"))
    client = cut.test_client()
    client.get("/api/v1/contractors", headers=headers)  # its last use recorded
    holder = db.get_db(app).engine.connect()
    holder.execute(text("SELECT 1 FROM contractors WHERE id = :id FOR UPDATE"), {"id": cid})
    answers = []
    request = threading.Thread(
        target=lambda: answers.append(
            client.patch(f"/api/v1/contractors/{cid}", json={"full_name": "B"}, headers=headers)
        )
    )
    request.start()
    try:
        with db.get_db(app).engine.connect() as killer:
            deadline = time.monotonic() + 4
            killed = 0
            while not killed and time.monotonic() < deadline:
                killed = killer.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
                time.sleep(0.05)
        request.join(timeout=20)
    finally:
        holder.rollback()
        holder.close()
    assert killed == 1
    (answer,) = answers
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.json["code"] in ("database_unavailable", "database_busy")
    assert "Retry-After" in answer.headers
    again = client.get(f"/api/v1/contractors/{cid}", headers=headers)
    assert again.status_code == 200 and again.json["full_name"] != "B"
    db.get_db(cut).dispose()


def test_a_connection_cut_after_the_answer_is_closed_without_an_error(app) -> None:
    """Ended while idle at the end of a request (a fast shutdown ends every backend at
    once): closing the request's session must not raise, or the server sends its own 500
    in place of the answer; the pool forgets the dead connection."""
    if db.get_db(app).is_sqlite:
        pytest.skip("a PostgreSQL fault")
    with app.test_request_context("/api/v1/contractors"):
        pid = db.session().execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.get_db(app).engine.connect() as killer:
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)
        close_session(None)
    with app.test_request_context("/api/v1/contractors"):
        assert db.session().execute(text("SELECT 1")).scalar_one() == 1
        close_session(None)
