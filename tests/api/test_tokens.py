"""Token lifecycle: create, use, expire, revoke; offboarding revokes; only hashes stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from click.testing import Result
from sqlalchemy import select, update

from tests.conftest import bearer
from workforce import db
from workforce.identity.models import Token
from workforce.notifications.models import Notification


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


def test_a_contractor_token_for_a_non_contractor_role_is_refused(
    client, admin, new_contractor
) -> None:
    ops_with_contractor = client.post(
        "/api/v1/tokens",
        json={"name": "c", "role": "ops", "contractor_id": new_contractor()},
        headers=admin,
    )
    assert ops_with_contractor.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"name": "c", "role": "contractor", "contractor_id": 1},
        {"name": "c", "role": "contractor"},
        {"name": "c", "role": "contractor", "contractor_id": 424242},
    ],
)
def test_staff_may_not_mint_contractor_tokens(app, client, admin, new_contractor, body) -> None:
    assert new_contractor() == 1
    response = client.post("/api/v1/tokens", json=body, headers=admin)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "contractor_tokens_are_personal"
    with db.transaction(app) as session:
        assert session.scalars(select(Token.role)).all() == ["admin"]  # nothing written


# --- a contractor's own tokens ------------------------------------------------------------


def test_a_contractor_creates_lists_and_revokes_their_own_tokens(
    app, client, as_role, new_contractor
) -> None:
    me = new_contractor()
    headers = as_role("contractor", me)
    created = client.post("/api/v1/me/tokens", json={"name": "laptop"}, headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["role"], body["contractor_id"], body["name"]) == ("contractor", me, "laptop")
    raw = body["token"]
    assert client.get("/api/v1/me/profile", headers=bearer(raw)).json["id"] == me
    listed = client.get("/api/v1/me/tokens", headers=headers).json
    assert listed["total"] == 2  # the one making the call and the new one
    assert all("token" not in item for item in listed["items"])
    assert raw not in json.dumps(listed)
    revoked = client.delete(f"/api/v1/me/tokens/{body['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert client.get("/api/v1/me/tokens", headers=headers).json["total"] == 1
    everything = client.get("/api/v1/me/tokens?include_revoked=true", headers=headers).json
    assert everything["total"] == 2
    with db.transaction(app) as session:
        told = session.scalars(
            select(Notification).where(Notification.kind.startswith("account.token_"))
        ).all()
    kinds = [(n.kind, n.contractor_id, n.audience, n.payload.get("token_id")) for n in told]
    assert ("account.token_created", me, "contractor", body["id"]) in kinds
    assert ("account.token_revoked", me, "contractor", body["id"]) in kinds
    assert raw not in json.dumps([n.payload for n in told])
    assert body["hint"] not in json.dumps([n.payload for n in told])


def test_another_contractors_token_is_not_found(app, client, as_role, new_contractor) -> None:
    mine, theirs = new_contractor(), new_contractor()
    their_token = client.post(
        "/api/v1/me/tokens", json={"name": "phone"}, headers=as_role("contractor", theirs)
    ).json
    mine_headers = as_role("contractor", mine)
    refused = client.delete(f"/api/v1/me/tokens/{their_token['id']}", headers=mine_headers)
    assert refused.status_code == 404
    assert refused.json["detail"] == f"token {their_token['id']} does not exist"
    assert client.get("/api/v1/me", headers=bearer(their_token["token"])).status_code == 200
    assert client.delete("/api/v1/me/tokens/999999", headers=mine_headers).status_code == 404
    listed = client.get("/api/v1/me/tokens", headers=mine_headers).json
    assert their_token["id"] not in [item["id"] for item in listed["items"]]


def test_my_token_input_is_checked(client, as_role, new_contractor) -> None:
    headers = as_role("contractor", new_contractor())
    for body, field in (
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "expires_at": "2199-01-01T00:00:00Z"}, "expires_at"),  # past the TTL
        ({"name": "x", "role": "admin"}, "role"),  # unknown field: no way to pick a role
        ({"name": "x", "contractor_id": 1}, "contractor_id"),
    ):
        response = client.post("/api/v1/me/tokens", json=body, headers=headers)
        assert response.status_code == 422, body
        assert field in response.json["errors"], body


def test_staff_revoking_a_contractor_token_tells_the_contractor(
    app, client, admin, new_contractor, make_token
) -> None:
    cid = new_contractor()
    make_token("contractor", cid)
    with db.transaction(app) as session:
        token_id = session.scalars(select(Token.id).where(Token.contractor_id == cid)).one()
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 200
    with db.transaction(app) as session:
        kinds = session.scalars(
            select(Notification.kind).where(Notification.contractor_id == cid)
        ).all()
    assert kinds == ["account.token_created", "account.token_revoked"]


def test_offboarding_revokes_every_token_of_the_contractor(
    app, client, admin, new_contractor, make_token
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
    again = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "contractor", "--name", "c", "--contractor", str(cid)]
    )
    assert again.exit_code != 0 and "offboarded" in again.output


def test_cli_prints_the_token_alone_on_the_last_line(app) -> None:
    result: Result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "admin", "--name", "first admin"]
    )
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[-1]
    assert raw.startswith("wf_") and " " not in raw
    assert app.test_client().get("/api/v1/me", headers=bearer(raw)).json["role"] == "admin"


def test_cli_warns_that_a_contractor_token_reads_health_data(app, new_contractor) -> None:
    cid = new_contractor()
    result: Result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "contractor", "--name", "x", "--contractor", str(cid)]
    )
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr and "health data" in result.stderr
    assert f"contractor {cid}" in result.stderr
    raw = result.stdout.strip().splitlines()[-1]
    assert raw.startswith("wf_")  # still alone on stdout's last line
    assert app.test_client().get("/api/v1/me", headers=bearer(raw)).json["contractor_id"] == cid


def test_cli_refuses_a_contractor_token_without_contractor(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "contractor", "--name", "x"]
    )
    assert result.exit_code != 0
    assert "contractor" in result.output
