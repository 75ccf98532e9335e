"""Credentials: submitted pending, decided by ops, expired by the calendar, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from workforce import db
from workforce.contractors.models import Credential

RN = {
    "kind": "license",
    "code": "RN",
    "field": "Nursing",
    "issuer": "Nursing Council of Kenya",
    "issued_on": "2020-01-01",
    "expires_on": "2030-01-01",
    "evidence_ref": "hr://doc/881",
}


def submit(client, headers, cid, **fields):
    return client.post(
        f"/api/v1/contractors/{cid}/credentials", json={**RN, **fields}, headers=headers
    )


def test_lifecycle_pending_verified_revoked(client, ops, admin, new_contractor) -> None:
    cid = new_contractor()
    created = submit(client, ops, cid)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "pending"
    cred = created.json["id"]
    verified = client.post(f"/api/v1/credentials/{cred}/verify", headers=ops)
    assert verified.status_code == 200
    assert verified.json["status"] == "verified"
    revoked = client.post(
        f"/api/v1/credentials/{cred}/revoke", json={"reason": "fraud"}, headers=ops
    )
    assert revoked.json["status"] == "revoked"
    assert revoked.json["status_reason"] == "fraud"
    actions = [
        e["action"]
        for e in client.get(
            f"/api/v1/audit-events?target_type=credential&target_id={cred}", headers=admin
        ).json["items"]
    ]
    assert actions == ["credential.revoke", "credential.verify", "credential.submit"]


def test_rejection_needs_a_reason_and_is_final(client, ops, new_contractor) -> None:
    cred = submit(client, ops, new_contractor()).json["id"]
    no_reason = client.post(f"/api/v1/credentials/{cred}/reject", json={}, headers=ops)
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json["errors"]
    assert (
        client.post(
            f"/api/v1/credentials/{cred}/reject", json={"reason": "illegible"}, headers=ops
        ).json["status"]
        == "rejected"
    )
    again = client.post(f"/api/v1/credentials/{cred}/verify", headers=ops)
    assert again.status_code == 409
    assert again.json["code"] == "invalid_transition"
    edit = client.patch(f"/api/v1/credentials/{cred}", json={"issuer": "x"}, headers=ops)
    assert edit.status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "diploma"}, "kind"),
        ({"code": "r n"}, "code"),
        ({"code": "rn"}, "code"),
        ({"issued_on": "2024-05-01", "expires_on": "2024-04-30"}, "expires_on"),
        ({"kind": "language", "code": "zz"}, "code"),
        ({"issued_on": "yesterday"}, "issued_on"),
        ({"expires_on": "2024-02-30"}, "expires_on"),
    ],
)
def test_bad_credentials_are_rejected(client, ops, new_contractor, fields, field) -> None:
    response = submit(client, ops, new_contractor(), **fields)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_language_codes_are_normalised(client, ops, new_contractor) -> None:
    body = submit(client, ops, new_contractor(), kind="language", code="swa").json
    assert body["code"] == "sw"


def test_a_verified_credential_reads_expired_after_its_date(app, client, ops, new_contractor):
    cid = new_contractor()
    cred = submit(client, ops, cid).json["id"]
    client.post(f"/api/v1/credentials/{cred}/verify", headers=ops)
    yesterday = db.utcnow().date() - dt.timedelta(days=2)
    with db.transaction(app) as session:
        session.execute(
            update(Credential).where(Credential.id == cred).values(expires_on=yesterday)
        )
    assert client.get(f"/api/v1/credentials/{cred}", headers=ops).json["status"] == "expired"
    expired = client.get("/api/v1/credentials?status=expired", headers=ops).json
    assert [c["id"] for c in expired["items"]] == [cred]
    assert client.get("/api/v1/credentials?status=verified", headers=ops).json["total"] == 0


def test_expiring_within_days_lists_what_needs_renewing(client, ops, new_contractor) -> None:
    cid = new_contractor()
    soon = (db.utcnow().date() + dt.timedelta(days=10)).isoformat()
    later = (db.utcnow().date() + dt.timedelta(days=90)).isoformat()
    ids = []
    for expires in (soon, later):
        cred = submit(client, ops, cid, expires_on=expires).json["id"]
        client.post(f"/api/v1/credentials/{cred}/verify", headers=ops)
        ids.append(cred)
    listed = client.get("/api/v1/credentials?expiring_within_days=30", headers=ops).json
    assert [c["id"] for c in listed["items"]] == [ids[0]]


def test_contractors_submit_and_read_only_their_own(client, as_role, ops, new_contractor) -> None:
    mine, theirs = new_contractor(), new_contractor()
    me = as_role("contractor", mine)
    created = client.post("/api/v1/me/credentials", json=RN, headers=me)
    assert created.status_code == 201
    assert created.json["status"] == "pending"
    assert created.json["contractor_id"] == mine
    assert client.get("/api/v1/me/credentials", headers=me).json["total"] == 1
    other = submit(client, ops, theirs).json["id"]
    hidden = client.get(f"/api/v1/credentials/{other}", headers=me)
    assert hidden.status_code == 404
    # what was asked for, never whose it is ("contractor 2 does not exist" says who owns it)
    assert hidden.json["detail"] == f"credential {other} does not exist"
    assert client.get(f"/api/v1/contractors/{theirs}/credentials", headers=me).status_code == 404
    # contractors cannot decide on their own credentials
    own = created.json["id"]
    assert client.post(f"/api/v1/credentials/{own}/verify", headers=me).status_code == 403
