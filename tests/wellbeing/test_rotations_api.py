"""The rotations API: manual, end, review, sweep, /me/rotations, and bad input."""

from __future__ import annotations

import datetime as dt

from workforce import db
from workforce.rotations.services import start_rotation

API = "/api/v1"


def automated(app, cid: int) -> int:
    now = db.utcnow()
    with app.test_request_context(), db.transaction(app) as session:
        return start_rotation(
            session,
            contractor_id=cid,
            reason="daily_limit",
            started_at=now,
            ends_at=now + dt.timedelta(hours=48),
            explanation={
                "rule": "daily_limit",
                "tier": 3,
                "policy_version": 1,
                "measured": 1240,
                "limit": 240,
                "unit": "minutes",
            },
        ).id


def test_manual_rotation_end_and_filters(client, ops, new_contractor) -> None:
    cid = new_contractor()
    created = client.post(
        f"{API}/rotations", json={"contractor_id": cid, "reason": "asked by lead"}, headers=ops
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["reason"] == "manual" and body["status"] == "active"
    assert body["explanation"] == {"rule": "manual", "note": "asked by lead"}
    again = client.post(f"{API}/rotations", json={"contractor_id": cid, "reason": "x"}, headers=ops)
    assert again.status_code == 409
    listed = client.get(f"{API}/rotations?contractor_id={cid}&status=active", headers=ops)
    assert listed.json["total"] == 1
    assert client.get(f"{API}/rotations?reason=planned", headers=ops).json["total"] == 0
    ended = client.post(f"{API}/rotations/{body['id']}/end", json={"reason": "ok"}, headers=ops)
    assert ended.status_code == 200 and ended.json["status"] == "ended"
    twice = client.post(f"{API}/rotations/{body['id']}/end", json={"reason": "ok"}, headers=ops)
    assert twice.status_code == 409 and twice.json["code"] == "rotation_ended"


def test_offboarded_contractor_cannot_be_rotated(client, ops, new_contractor) -> None:
    cid = new_contractor()
    client.post(f"{API}/contractors/{cid}/offboard", json={"reason": "left"}, headers=ops)
    answer = client.post(
        f"{API}/rotations", json={"contractor_id": cid, "reason": "x"}, headers=ops
    )
    assert answer.status_code == 409
    missing = client.post(
        f"{API}/rotations", json={"contractor_id": 99999, "reason": "x"}, headers=ops
    )
    assert missing.status_code == 422


def test_review_flow_and_someone_elses_rotation(app, client, ops, as_role, new_contractor) -> None:
    cid, other = new_contractor(), new_contractor()
    rotation_id = automated(app, cid)
    mine, theirs = as_role("contractor", cid), as_role("contractor", other)
    url = f"{API}/rotations/{rotation_id}/review"
    for response in (
        client.post(url, json={"comment": "not me"}, headers=theirs),
        client.get(f"{API}/rotations/{rotation_id}", headers=theirs),
    ):
        assert response.status_code == 404
        # the answer names what was asked for, never whose it is
        assert response.json["detail"] == f"rotation {rotation_id} does not exist"
    bad = client.post(url, json={"comment": "x", "outcome": "overturned"}, headers=mine)
    assert bad.status_code == 422
    early = client.post(url, json={"outcome": "upheld", "comment": "x"}, headers=ops)
    assert early.status_code == 409  # nobody asked for a review yet
    asked = client.post(url, json={"comment": "the events were mislabelled"}, headers=mine)
    assert asked.status_code == 200 and asked.json["review_status"] == "requested"
    assert client.post(url, json={"comment": "again"}, headers=mine).status_code == 409
    assert client.post(url, json={"comment": "x"}, headers=ops).status_code == 422
    answered = client.post(
        url, json={"outcome": "overturned", "comment": "labels were wrong"}, headers=ops
    )
    assert answered.status_code == 200
    assert answered.json["status"] == "overturned"
    assert answered.json["review_status"] == "overturned"
    assert (
        client.post(url, json={"outcome": "upheld", "comment": "x"}, headers=ops).status_code == 409
    )


def test_me_rotations_explained_in_my_language(app, client, as_role, new_contractor) -> None:
    cid = new_contractor(country="KE", locale="sw_KE")
    automated(app, cid)
    answer = client.get(f"{API}/me/rotations", headers=as_role("contractor", cid))
    assert answer.status_code == 200
    (item,) = answer.json["items"]
    assert item["summary"].startswith("Mfiduo wako wa leo wa daraja 3 umefikia 1,240")
    assert "toleo la sera 1" in item["summary"]
    es = new_contractor(country="ES", locale="es_ES", timezone="Europe/Madrid")
    automated(app, es)
    (item,) = client.get(f"{API}/me/rotations", headers=as_role("contractor", es)).json["items"]
    assert "1240" in item["summary"].replace(".", "") and "límite" in item["summary"]


def test_sweep_endpoint_answers_its_summary(client, ops, as_role) -> None:
    answer = client.post(f"{API}/rotations/sweep", headers=ops)
    assert answer.status_code == 200
    assert answer.json == {
        "candidates": 0,
        "rotations": 0,
        "warnings": 0,
        "shifts_reassigned": 0,
        "shifts_cancelled": 0,
    }
    assert client.post(f"{API}/rotations/sweep", headers=as_role("compliance")).status_code == 403
