"""Wage distributions, rates and pay policy over HTTP: roles, bad input, derivations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.pay.conftest import PayData

WAGES = "/api/v1/pay/wage-distributions"
KE = {
    "country": "KE",
    "year": 2026,
    "currency": "KES",
    "period": "month",
    "percentiles": {"p10": "14000", "p25": "19000", "p50": "27000", "p75": "42000", "p90": "70000"},
    "source": "Illustrative",
}


def test_add_list_and_read_a_wage_distribution(
    client: FlaskClient, ops: dict[str, str], as_role: Callable[..., dict[str, str]]
) -> None:
    body = {**KE, "percentiles": {**KE["percentiles"], "p60": "33000.50"}}
    created = client.post(WAGES, json=body, headers=ops)
    assert created.status_code == 201, created.json
    assert created.json["percentiles"] == {
        "p10": "14000",
        "p25": "19000",
        "p50": "27000",
        "p60": "33000.50",
        "p75": "42000",
        "p90": "70000",
    }
    compliance = as_role("compliance")
    listed = client.get(f"{WAGES}?country=KE", headers=compliance).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == created.json["id"]
    one = client.get(f"{WAGES}/{created.json['id']}", headers=compliance)
    assert one.status_code == 200 and one.json["source"] == "Illustrative"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"percentiles": {**KE["percentiles"], "p50": "19000"}}, "percentiles", "must increase"),
        ({"percentiles": {**KE["percentiles"], "p90": "100"}}, "percentiles", "must increase"),
        ({"currency": "ABC"}, "currency", "not a known ISO 4217"),
        ({"currency": "XAU"}, "currency", "not a known ISO 4217"),
        ({"percentiles": {"p10": "1", "p50": "2"}}, "percentiles", ""),
        ({"period": "week"}, "period", ""),
        ({"subdivision": "US-CA"}, "subdivision", "not a subdivision of KE"),
        ({"country": "ZZ"}, "country", "not an ISO 3166-1"),
        ({"percentiles": {**KE["percentiles"], "p25": 19000.5}}, "percentiles.p25", ""),
    ],
)
def test_bad_wage_distributions_are_422(
    client: FlaskClient, ops: dict[str, str], change: dict[str, Any], field: str, message: str
) -> None:
    response = client.post(WAGES, json={**KE, **change}, headers=ops)
    assert response.status_code == 422, response.json
    assert any(key.startswith(field) for key in response.json["errors"]), response.json
    assert message in str(response.json["errors"])


def test_a_second_distribution_for_the_same_place_and_year_is_409(
    client: FlaskClient, ops: dict[str, str]
) -> None:
    assert client.post(WAGES, json=KE, headers=ops).status_code == 201
    again = client.post(WAGES, json=KE, headers=ops)
    assert again.status_code == 409 and again.json["code"] == "duplicate_wage_distribution"
    # The same year for a subdivision is another distribution.
    subdivision = {**KE, "country": "US", "subdivision": "US-CA", "currency": "USD"}
    assert client.post(WAGES, json=subdivision, headers=ops).status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        WAGES,
        "/api/v1/pay/rates?country=KE",
        "/api/v1/pay/policies",
        "/api/v1/pay/policies/current",
        "/api/v1/pay/exchange-rates",
    ],
)
def test_wellbeing_and_contractors_see_nothing_about_pay(
    client: FlaskClient,
    as_role: Callable[..., dict[str, str]],
    new_contractor: Callable[..., int],
    path: str,
) -> None:
    assert client.get(path, headers=as_role("wellbeing")).status_code == 403
    assert client.get(path, headers=as_role("ingest")).status_code == 403
    contractor = as_role("contractor", new_contractor())
    assert client.get(path, headers=contractor).status_code == 403
    assert client.get(path, headers=as_role("compliance")).status_code in (200, 409)


def test_compliance_may_not_write_pay_data(
    client: FlaskClient, as_role: Callable[..., dict[str, str]]
) -> None:
    compliance = as_role("compliance")
    assert client.post(WAGES, json=KE, headers=compliance).status_code == 403
    policy = client.post("/api/v1/pay/policies", json={}, headers=compliance)
    assert policy.status_code == 403


# --- rates ----------------------------------------------------------------------------


def test_rate_is_the_target_percentile_per_hour_with_its_derivation(
    client: FlaskClient, ops: dict[str, str], pay: PayData
) -> None:
    pay.example_wages()
    rate = client.get("/api/v1/pay/rates?country=KE", headers=ops)
    assert rate.status_code == 200, rate.json
    body = rate.json
    # p65 between p50 (27,000) and p75 (42,000) = 36,000 a month; / 173.33 h = 207.6963…
    assert body["hourly_rate"] == "207.70"
    assert body["currency"] == "KES" and body["percentile"] == "65"
    assert body["policy_version"] == 0
    assert body["derivation"]["interpolated_between"] == ["p50", "p75"]
    assert body["derivation"]["hours_per_month"] == "173.33"
    assert "36000" in body["derivation"]["explanation"]
    assert body["wage_distribution"]["source"].startswith("Illustrative")


def test_rate_prefers_the_subdivision_and_falls_back_to_the_country(
    client: FlaskClient, ops: dict[str, str], pay: PayData
) -> None:
    pay.example_wages()
    california = client.get("/api/v1/pay/rates?country=US&subdivision=US-CA", headers=ops).json
    texas = client.get("/api/v1/pay/rates?country=US&subdivision=US-TX", headers=ops).json
    assert california["wage_distribution"]["subdivision"] == "US-CA"
    assert california["hourly_rate"] == "36.68"  # 27.80 + 14.80 × 15/25
    assert texas["wage_distribution"]["subdivision"] is None
    assert texas["subdivision"] == "US-TX"
    assert texas["hourly_rate"] == "30.48"  # 23.10 + 12.30 × 15/25


def test_rate_uses_the_latest_year_not_after_the_one_asked(
    client: FlaskClient, ops: dict[str, str], pay: PayData
) -> None:
    pay.distribution(year=2024)
    pay.distribution(
        year=2026,
        percentiles={"p10": "1", "p25": "2", "p50": "3", "p75": "4", "p90": "5"},
    )
    assert (
        client.get("/api/v1/pay/rates?country=KE&year=2025", headers=ops).json["wage_distribution"][
            "year"
        ]
        == 2024
    )
    assert (
        client.get("/api/v1/pay/rates?country=KE&year=2026", headers=ops).json["wage_distribution"][
            "year"
        ]
        == 2026
    )
    missing = client.get("/api/v1/pay/rates?country=KE&year=2023", headers=ops)
    assert missing.status_code == 409 and missing.json["code"] == "no_wage_distribution"


def test_the_living_wage_floor_is_never_undercut(
    client: FlaskClient, ops: dict[str, str], pay: PayData
) -> None:
    pay.example_wages()
    pay.policy(living_wage_floors={"KE": {"currency": "KES", "hourly": "250.004"}})
    body = client.get("/api/v1/pay/rates?country=KE", headers=ops).json
    assert body["hourly_rate"] == "250.01"  # a floor is rounded up, never down
    assert body["derivation"]["floor_applied"] is True
    assert body["policy_version"] == 1


def test_rate_conflicts_are_409_with_the_reason(
    client: FlaskClient, ops: dict[str, str], pay: PayData
) -> None:
    assert client.get("/api/v1/pay/rates?country=PH", headers=ops).json["code"] == (
        "no_wage_distribution"
    )
    pay.example_wages()
    pay.policy(living_wage_floors={"KE": {"currency": "USD", "hourly": "2"}})
    mismatch = client.get("/api/v1/pay/rates?country=KE", headers=ops)
    assert mismatch.status_code == 409 and mismatch.json["code"] == "floor_currency_mismatch"
    pay.policy(living_wage_floors={}, target_percentile="95")
    beyond = client.get("/api/v1/pay/rates?country=KE", headers=ops)
    assert beyond.status_code == 409 and beyond.json["code"] == "percentile_out_of_range"
    assert "cannot extrapolate" in beyond.json["detail"]


def test_rate_query_must_name_a_real_country(client: FlaskClient, ops: dict[str, str]) -> None:
    assert client.get("/api/v1/pay/rates", headers=ops).status_code == 422
    assert client.get("/api/v1/pay/rates?country=ZZ", headers=ops).status_code == 422
    assert client.get(
        "/api/v1/pay/rates?country=KE&subdivision=US-CA", headers=ops
    ).status_code == (422)


# --- policy ---------------------------------------------------------------------------


def test_until_one_is_stored_the_built_in_policy_is_version_0(
    client: FlaskClient, as_role: Callable[..., dict[str, str]]
) -> None:
    current = client.get("/api/v1/pay/policies/current", headers=as_role("compliance")).json
    assert current["version"] == 0
    assert current["target_percentile"] == "65"
    assert current["night_window"] == {"start": "22:00", "end": "06:00"}
    assert current["hazard_premium_percent"] == {"0": "0", "1": "5", "2": "10", "3": "20"}
    assert current["overtime_weekly_hours"] == {"default": "40"}


def test_new_versions_copy_the_terms_they_leave_out(
    client: FlaskClient, ops: dict[str, str]
) -> None:
    first = client.post(
        "/api/v1/pay/policies",
        json={"target_percentile": "70", "note": "closer to the market"},
        headers=ops,
    )
    assert first.status_code == 201, first.json
    assert first.json["version"] == 1 and first.json["target_percentile"] == "70"
    second = client.post(
        "/api/v1/pay/policies",
        json={
            "night_window": {"start": "21:00", "end": "05:00"},
            "overtime_weekly_hours": {"default": "40", "KE": "52"},
            "credential_premium_percent": {"PHD": "15", "RN": "12.5"},
        },
        headers=ops,
    ).json
    assert second["version"] == 2
    assert second["target_percentile"] == "70"
    assert second["overtime_weekly_hours"] == {"default": "40", "KE": "52"}
    current = client.get("/api/v1/pay/policies/current", headers=ops).json
    assert current["version"] == 2 and current["night_window"]["start"] == "21:00"
    listed = client.get("/api/v1/pay/policies", headers=ops).json
    assert [p["version"] for p in listed["items"]] == [2, 1]


def test_a_policy_in_the_future_is_not_yet_in_force(
    client: FlaskClient, ops: dict[str, str]
) -> None:
    later = {"target_percentile": "60", "effective_from": "2099-01-01T00:00:00+00:00"}
    assert client.post("/api/v1/pay/policies", json=later, headers=ops).status_code == 201
    assert client.get("/api/v1/pay/policies/current", headers=ops).json["version"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_percentile": "0"}, "target_percentile"),
        ({"target_percentile": "99.5"}, "target_percentile"),
        ({"target_percentile": "100"}, "target_percentile"),
        ({"target_percentile": "65.001"}, "target_percentile"),
        ({"night_premium_percent": "-1"}, "night_premium_percent"),
        ({"holiday_premium_percent": "5000"}, "holiday_premium_percent"),
        ({"hazard_premium_percent": {"0": "0", "1": "5"}}, "hazard_premium_percent"),
        ({"hazard_premium_percent": {"0": "0", "1": "5", "2": "5", "3": "5", "4": "9"}}, "hazard"),
        ({"hours_per_month": {"KE": "200"}}, "hours_per_month"),
        ({"hours_per_month": {"default": "0"}}, "hours_per_month"),
        ({"overtime_weekly_hours": {"default": "40", "Kenya": "45"}}, "overtime_weekly_hours"),
        ({"overtime_weekly_hours": {"default": "40.001"}}, "overtime_weekly_hours"),
        ({"night_window": {"start": "22:00", "end": "22:00"}}, "night_window"),
        ({"night_window": {"start": "25:00", "end": "06:00"}}, "night_window"),
        ({"credential_premium_percent": {"phd": "10"}}, "credential_premium_percent"),
        ({"living_wage_floors": {"KE": {"currency": "KES", "hourly": "0"}}}, "living_wage"),
        ({"living_wage_floors": {"KE": {"currency": "ZZZ", "hourly": "1"}}}, "living_wage"),
        ({"living_wage_floors": {"default": {"currency": "KES", "hourly": "1"}}}, "living_wage"),
        ({"bonus_percent": "10"}, "bonus_percent"),
        ({"effective_from": "2026-01-01T00:00:00"}, "effective_from"),
    ],
)
def test_bad_policies_are_422(
    client: FlaskClient, ops: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/pay/policies", json=body, headers=ops)
    assert response.status_code == 422, response.json
    assert any(key.startswith(field) for key in response.json["errors"]), response.json
    assert client.get("/api/v1/pay/policies", headers=ops).json["total"] == 0


def test_exchange_rates_are_listed(client: FlaskClient, ops: dict[str, str], pay: PayData) -> None:
    import datetime as dt

    pay.exchange_rate(dt.date(2026, 10, 31), "USD", "KES", "129.2500")
    body = client.get("/api/v1/pay/exchange-rates?base=USD", headers=ops).json
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["date"], item["base"], item["quote"]) == ("2026-10-31", "USD", "KES")
    assert item["rate"] == "129.25"
