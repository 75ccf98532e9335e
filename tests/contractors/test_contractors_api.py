"""Contractors: validation, defaults from the country, filters, isolation, offboarding."""

from __future__ import annotations

import pytest

BASE = {"full_name": "Achieng Otieno", "email": "achieng@example.org"}


def create(client, headers, **fields):
    return client.post("/api/v1/contractors", json={**BASE, **fields}, headers=headers)


@pytest.mark.parametrize(
    ("country", "timezone", "currency", "locale"),
    [
        ("KE", "Africa/Nairobi", "KES", "sw_KE"),
        ("PH", "Asia/Manila", "PHP", "en_PH"),
        ("IN", "Asia/Kolkata", "INR", "hi_IN"),
        ("CO", "America/Bogota", "COP", "es_CO"),
    ],
)
def test_timezone_locale_and_currency_default_from_the_country(
    client, ops, country, timezone, currency, locale
) -> None:
    response = create(client, ops, country=country)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["timezone"], body["currency"], body["locale"]) == (timezone, currency, locale)
    assert body["status"] == "active" and body["opt_outs"] == []


def test_a_country_with_several_zones_needs_one(client, ops) -> None:
    response = create(client, ops, country="US")
    assert response.status_code == 422
    assert "timezone" in response.json["errors"]
    ok = create(client, ops, country="US", timezone="America/Chicago", subdivision="US-IL")
    assert ok.status_code == 201 and ok.json["currency"] == "USD"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "KEN"}, "country"),
        ({"country": "KE", "subdivision": "PH-00"}, "subdivision"),
        ({"country": "KE", "subdivision": "KE-99"}, "subdivision"),
        ({"country": "KE", "timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "KE", "timezone": "../../etc/passwd"}, "timezone"),
        ({"country": "KE", "locale": "xx_YY"}, "locale"),
        ({"country": "KE", "currency": "ABC"}, "currency"),
        ({"country": "KE", "email": "nope"}, "email"),
        ({"country": "KE", "full_name": ""}, "full_name"),
        ({"country": "KE", "opt_outs": []}, "opt_outs"),
    ],
)
def test_invalid_fields_are_named(client, ops, fields, bad) -> None:
    response = create(client, ops, **fields)
    assert response.status_code == 422, response.json
    assert bad in response.json["errors"]


def test_explicit_values_are_normalised(client, ops) -> None:
    body = create(
        client,
        ops,
        country="ke",
        subdivision="ke-30",
        locale="en-KE",
        currency="usd",
        email="Achieng@Example.ORG",
    ).json
    assert (body["country"], body["subdivision"], body["locale"], body["currency"]) == (
        "KE",
        "KE-30",
        "en_KE",
        "USD",
    )
    assert body["email"] == "achieng@example.org"


def test_duplicate_external_ref_is_409(client, ops) -> None:
    assert create(client, ops, country="KE", external_ref="E1").status_code == 201
    dup = create(client, ops, country="KE", external_ref="E1", email="other@example.org")
    assert dup.status_code == 409 and dup.json["code"] == "duplicate_external_ref"


def test_list_filters_and_paginates(client, ops, new_contractor) -> None:
    for i in range(5):
        new_contractor(country="KE", full_name=f"Kenyan {i}")
    new_contractor(country="CO", full_name="Camila 50%_off")
    page = client.get("/api/v1/contractors?country=KE&page_size=2&page=2", headers=ops).json
    assert page["total"] == 5 and page["page"] == 2 and len(page["items"]) == 2
    assert client.get("/api/v1/contractors?search=camila", headers=ops).json["total"] == 1
    # wildcards in a search are literal text
    assert client.get("/api/v1/contractors?search=%25_off", headers=ops).json["total"] == 1
    assert client.get("/api/v1/contractors?search=%25", headers=ops).json["total"] == 1
    assert client.get("/api/v1/contractors?page=99", headers=ops).json["items"] == []


def test_patch_changes_and_audits_fields(client, ops, admin, new_contractor) -> None:
    cid = new_contractor()
    response = client.patch(
        f"/api/v1/contractors/{cid}", json={"locale": "en_KE", "status": "suspended"}, headers=ops
    )
    assert response.status_code == 200
    assert response.json["locale"] == "en_KE" and response.json["status"] == "suspended"
    audit = client.get(
        f"/api/v1/audit-events?target_type=contractor&target_id={cid}", headers=admin
    ).json
    assert audit["items"][0]["summary"] == {"fields": ["locale", "status"]}


def test_patch_cannot_offboard_or_touch_the_offboarded(client, ops, new_contractor) -> None:
    cid = new_contractor()
    assert (
        client.patch(
            f"/api/v1/contractors/{cid}", json={"status": "offboarded"}, headers=ops
        ).status_code
        == 422
    )
    assert (
        client.post(f"/api/v1/contractors/{cid}/offboard", json={}, headers=ops).status_code == 200
    )
    assert (
        client.post(f"/api/v1/contractors/{cid}/offboard", json={}, headers=ops).status_code == 409
    )
    response = client.patch(f"/api/v1/contractors/{cid}", json={"locale": "en_KE"}, headers=ops)
    assert response.status_code == 409 and response.json["code"] == "contractor_offboarded"


def test_patch_revalidates_subdivision_against_a_new_country(client, ops, new_contractor) -> None:
    cid = new_contractor(country="KE", subdivision="KE-30")
    response = client.patch(f"/api/v1/contractors/{cid}", json={"country": "PH"}, headers=ops)
    assert response.status_code == 422 and "subdivision" in response.json["errors"]


def test_a_contractor_sees_only_itself(client, as_role, new_contractor) -> None:
    mine, theirs = new_contractor(), new_contractor()
    headers = as_role("contractor", mine)
    assert client.get(f"/api/v1/contractors/{mine}", headers=headers).status_code == 200
    other = client.get(f"/api/v1/contractors/{theirs}", headers=headers)
    assert other.status_code == 404 and other.json["code"] == "not_found"
    assert client.get("/api/v1/contractors", headers=headers).status_code == 403
    assert client.get("/api/v1/contractors/987654", headers=as_role("ops")).status_code == 404
