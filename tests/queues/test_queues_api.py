"""Queues: tiers, harm categories, required credentials and a safe fallback."""

from __future__ import annotations

import pytest

SAFE = {"slug": "general-labelling", "name": "General labelling", "tier": 0}
GORE = {
    "slug": "gore-review",
    "name": "Violent content",
    "tier": 3,
    "categories": ["violence_gore", "animal_cruelty"],
}


def test_create_and_read_a_sensitive_queue_with_fallback(client, ops) -> None:
    safe = client.post("/api/v1/queues", json=SAFE, headers=ops)
    assert safe.status_code == 201, safe.json
    medical = client.post(
        "/api/v1/queues",
        json={
            **GORE,
            "fallback_queue_id": safe.json["id"],
            "language": "SW",
            "required_credentials": [
                {"kind": "degree", "code": "MD"},
                {"kind": "training", "code": "RESILIENCE_TRAINING"},
            ],
        },
        headers=ops,
    )
    assert medical.status_code == 201, medical.json
    body = client.get(f"/api/v1/queues/{medical.json['id']}", headers=ops).json
    assert body["language"] == "sw"
    assert body["required_credentials"][0] == {"kind": "degree", "code": "MD"}
    listed = client.get("/api/v1/queues?tier=3", headers=ops).json
    assert [q["slug"] for q in listed["items"]] == ["gore-review"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GORE, "categories": []}, "categories"),
        ({**SAFE, "categories": ["self_harm"]}, "categories"),
        ({**GORE, "categories": ["kittens"]}, "categories.0"),
        ({**GORE, "tier": 4}, "tier"),
        ({**GORE, "slug": "Not A Slug"}, "slug"),
        (
            {**GORE, "required_credentials": [{"kind": "degree", "code": "phd"}]},
            "required_credentials.0.code",
        ),
        (
            {**GORE, "required_credentials": [{"kind": "hobby", "code": "PHD"}]},
            "required_credentials.0.kind",
        ),
        ({**GORE, "fallback_queue_id": 999}, "fallback_queue_id"),
        ({**GORE, "language": "xx"}, "language"),
    ],
)
def test_invalid_queues_are_rejected_naming_the_field(client, ops, body, field) -> None:
    response = client.post("/api/v1/queues", json=body, headers=ops)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_fallback_must_not_be_sensitive(client, ops) -> None:
    sensitive = client.post("/api/v1/queues", json=GORE, headers=ops).json
    response = client.post(
        "/api/v1/queues",
        json={
            **GORE,
            "slug": "hate-review",
            "categories": ["hate_extremism"],
            "fallback_queue_id": sensitive["id"],
        },
        headers=ops,
    )
    assert response.status_code == 422
    assert "fallback_queue_id" in response.json["errors"]


def test_a_fallback_in_use_stays_tier_zero(client, ops) -> None:
    safe = client.post("/api/v1/queues", json=SAFE, headers=ops).json
    client.post("/api/v1/queues", json={**GORE, "fallback_queue_id": safe["id"]}, headers=ops)
    response = client.patch(
        f"/api/v1/queues/{safe['id']}",
        json={"tier": 1, "categories": ["harassment"]},
        headers=ops,
    )
    assert response.status_code == 409
    assert response.json["code"] == "fallback_in_use"


def test_duplicate_slug_is_409(client, ops) -> None:
    assert client.post("/api/v1/queues", json=SAFE, headers=ops).status_code == 201
    response = client.post("/api/v1/queues", json=SAFE, headers=ops)
    assert response.status_code == 409
    assert response.json["code"] == "duplicate_slug"


def test_patch_is_validated_as_a_whole_and_audited(client, ops, admin) -> None:
    queue = client.post("/api/v1/queues", json=GORE, headers=ops).json
    bad = client.patch(f"/api/v1/queues/{queue['id']}", json={"categories": []}, headers=ops)
    assert bad.status_code == 422
    ok = client.patch(f"/api/v1/queues/{queue['id']}", json={"tier": 2}, headers=ops)
    assert ok.json["tier"] == 2
    audit = client.get(
        f"/api/v1/audit-events?target_type=queue&target_id={queue['id']}&action=queue.update",
        headers=admin,
    ).json
    assert audit["items"][0]["summary"] == {"tier": 2}


def test_who_may_manage_queues(client, as_role) -> None:
    for role in ("compliance", "wellbeing", "ingest"):
        assert client.post("/api/v1/queues", json=SAFE, headers=as_role(role)).status_code == 403
    assert client.get("/api/v1/queues", headers=as_role("ingest")).status_code == 200
