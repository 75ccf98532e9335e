"""Token lifecycle: create, use, expire, revoke; offboarding revokes; only hashes stored."""

from __future__ import annotations

import datetime as dt
import hashlib

from click.testing import Result
from sqlalchemy import select, update

from tests.conftest import bearer
from workforce import db
from workforce.auth import Token


def test_created_token_works_and_only_its_hash_is_stored(app, client, admin) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "ops desk", "role": "ops"}, headers=admin
    )
    assert response.status_code == 201, response.json
    raw = response.json["token"]
    assert raw.startswith("wf_") and len(raw) >= 3 + 43  # 256 bits, base64url
    me = client.get("/api/v1/me", headers=bearer(raw))
    assert me.json["role"] == "ops" and me.json["name"] == "ops desk"
    with db.get_db(app).reader() as session:
        stored = session.scalars(select(Token.token_hash)).all()
    assert hashlib.sha256(raw.encode()).hexdigest() in stored
    assert raw not in stored
    listed = client.get("/api/v1/tokens", headers=admin).json
    assert "token" not in listed["items"][0]
    assert listed["total"] == 2


def test_revoked_token_is_refused_at_once(client, admin) -> None:
    created = client.post("/api/v1/tokens", json={"name": "x", "role": "ops"}, headers=admin).json
    assert client.get("/api/v1/me", headers=bearer(created["token"])).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{created['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert client.get("/api/v1/me", headers=bearer(created["token"])).status_code == 401
    assert client.delete("/api/v1/tokens/999999", headers=admin).status_code == 404


def test_expired_token_is_refused(app, client, make_token) -> None:
    raw = make_token("ops")
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    with db.transaction(app) as session:
        session.execute(
            update(Token)
            .where(Token.token_hash == hashlib.sha256(raw.encode()).hexdigest())
            .values(expires_at=db.utcnow() - dt.timedelta(seconds=1))
        )
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_expiry_in_the_past_is_rejected(client, admin) -> None:
    response = client.post(
        "/api/v1/tokens",
        json={"name": "x", "role": "ops", "expires_at": "2020-01-01T00:00:00Z"},
        headers=admin,
    )
    assert response.status_code == 422
    assert "expires_at" in response.json["errors"]


def test_contractor_token_needs_an_existing_contractor(client, admin, new_contractor) -> None:
    missing = client.post("/api/v1/tokens", json={"name": "c", "role": "contractor"}, headers=admin)
    assert missing.status_code == 422 and "contractor_id" in missing.json["errors"]
    unknown = client.post(
        "/api/v1/tokens",
        json={"name": "c", "role": "contractor", "contractor_id": 424242},
        headers=admin,
    )
    assert unknown.status_code == 422 and "contractor_id" in unknown.json["errors"]
    ops_with_contractor = client.post(
        "/api/v1/tokens",
        json={"name": "c", "role": "ops", "contractor_id": new_contractor()},
        headers=admin,
    )
    assert ops_with_contractor.status_code == 422


def test_offboarding_revokes_every_token_of_the_contractor(
    client, admin, new_contractor, make_token
):
    cid = new_contractor()
    first, second = make_token("contractor", cid), make_token("contractor", cid)
    other = make_token("contractor", new_contractor())
    response = client.post(
        f"/api/v1/contractors/{cid}/offboard", json={"reason": "left"}, headers=admin
    )
    assert response.status_code == 200 and response.json["status"] == "offboarded"
    for raw in (first, second):
        assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    again = client.post(
        "/api/v1/tokens",
        json={"name": "c", "role": "contractor", "contractor_id": cid},
        headers=admin,
    )
    assert again.status_code == 422


def test_cli_prints_the_token_alone_on_the_last_line(app) -> None:
    result: Result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "admin", "--name", "first admin"]
    )
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[-1]
    assert raw.startswith("wf_") and " " not in raw
    assert app.test_client().get("/api/v1/me", headers=bearer(raw)).json["role"] == "admin"


def test_cli_refuses_a_contractor_token_without_contractor(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "contractor", "--name", "x"]
    )
    assert result.exit_code != 0
    assert "contractor" in result.output
