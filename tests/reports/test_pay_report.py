"""The pay evidence report through the API: figures worked out by hand, groups by queue,
suppression, shares below the target and the floor, formats, evidence, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from flask.testing import FlaskClient

from tests.factories import make_queue
from tests.pay.conftest import PayData
from workforce.reports.evidence import content_hash

URL = "/api/v1/reports/pay"
PERIOD = "from=2026-03-01&to=2026-03-31"
NAIROBI = ZoneInfo("Africa/Nairobi")
KAMPALA = ZoneInfo("Africa/Kampala")


def paid(client: FlaskClient, ops: dict[str, str], contractor: int) -> None:
    """A final statement for March 2026 (over: the tests run later)."""
    url = f"/api/v1/contractors/{contractor}/pay-statements"
    body = {"period_start": "2026-03-01", "period_end": "2026-03-31"}
    created = client.post(url, json=body, headers=ops)
    assert created.status_code == 201, created.json
    final = client.post(f"/api/v1/pay-statements/{created.json['id']}/finalize", headers=ops)
    assert final.status_code == 200, final.json


@pytest.fixture
def pay(app: Any) -> PayData:
    return PayData(app)


@pytest.fixture
def kenya(app: Any, pay: PayData, new_contractor: Callable[..., int]) -> dict[str, Any]:
    """12 Kenyans, each 8 h (09:00 to 17:00) on tier-1 ``review`` on 3 March and 8 h on
    tier-2 ``graphic`` on 4 March 2026, under the built-in policy (the 65th percentile)."""
    pay.distribution()  # KE 2026, monthly
    pay.exchange_rate(dt.date(2026, 3, 31), "USD", "KES", "129.25")
    queues = {
        "review": make_queue(app, slug="review", tier=1),
        "graphic": make_queue(app, slug="graphic", tier=2),
    }
    people = [new_contractor(country="KE") for _ in range(12)]
    for person in people:
        for day, slug in ((3, "review"), (4, "graphic")):
            start = dt.datetime(2026, 3, day, 9, tzinfo=NAIROBI)
            pay.shift(person, queues[slug], start, start + dt.timedelta(hours=8))
    return {"people": people, "queues": queues}


def test_pay_per_hour_by_hand(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenya: dict[str, Any],
) -> None:
    for person in kenya["people"]:
        paid(client, ops, person)
    response = client.get(f"{URL}?{PERIOD}", headers=as_role("compliance"))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["kind"] == "pay" and body["key_columns"] == ["country", "year", "currency"]
    [row] = body["rows"]
    assert (row["country"], row["year"], row["currency"]) == ("KE", 2026, "KES")
    assert row["suppressed"] is False
    assert row["contractors"] == 12 and row["statements"] == 12 and row["hours"] == 192
    # p65 of the monthly distribution: 27000 + 15000 × 15/25 = 36000 / 173.33 h = 207.70
    assert row["base_hourly"] == "207.70"
    # hazard: 8 h at 5 % and 8 h at 10 % of 207.70 = 83.08 + 166.16 over 16 h = 15.5775
    assert row["hazard_hourly"] == "15.58"
    assert row["night_hourly"] == row["overtime_hourly"] == "0.00"
    assert row["effective_hourly"] == "223.28"  # 3572.44 / 16 = 223.2775
    # 1 USD = 129.25 KES: 207.70 / 129.25 = 1.6069…, 223.2775 / 129.25 = 1.7274…
    assert row["base_hourly_reporting"] == "1.61"
    assert row["effective_hourly_reporting"] == "1.73"
    # 207.70 × 173.33 = 36000.64: p50 + 9000.64 / 15000 × 25 = p65.00
    assert row["base_percentile"] == "65.00"
    # 223.28 × 173.33 = 38701.12: p50 + 11701.12 / 15000 × 25 = p69.50
    assert row["effective_percentile"] == "69.50"
    assert row["target_percentile"] == "65"
    assert row["share_hours_below_target"] == 0.0
    assert row["share_hours_below_floor"] is None  # the built-in policy has no floor
    assert row["policy_versions"] == [0]
    assert body["policy_versions"] == [{"version": 0, "effective_from": None}]
    [distribution] = body["wage_distributions"]
    assert distribution["id"] == row["wage_distribution_id"] and distribution["year"] == 2026
    assert body["exchange_rates"][0]["rate"] == "129.25"
    assert body["reporting_currency"] == "USD"
    assert body["total"]["effective_hourly"] == "223.28"
    assert body["sha256"] == content_hash(body)
    stored = client.get(f"/api/v1/reports/runs/{body['run_id']}", headers=as_role("admin"))
    assert stored.json == body


def test_by_queue_and_tier_each_line_goes_to_its_queue(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenya: dict[str, Any],
) -> None:
    for person in kenya["people"]:
        paid(client, ops, person)
    body = client.get(f"{URL}?{PERIOD}&group_by=queue", headers=as_role("compliance")).json
    rows = {row["queue"]: row for row in body["rows"]}
    assert set(rows) == {"review", "graphic"} and body["key_columns"][0] == "queue"
    assert rows["review"]["hours"] == rows["graphic"]["hours"] == 96
    assert rows["review"]["hazard_hourly"] == "10.39"  # 5 % of 207.70 = 10.385
    assert rows["graphic"]["hazard_hourly"] == "20.77"
    assert rows["graphic"]["effective_hourly"] == "228.47"
    by_tier = client.get(f"{URL}?{PERIOD}&group_by=tier", headers=as_role("admin")).json
    assert [(row["tier"], row["hazard_hourly"]) for row in by_tier["rows"]] == [
        (1, "10.39"),
        (2, "20.77"),
    ]


def test_small_groups_are_suppressed_in_the_pay_report_too(
    app: Any,
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    pay: PayData,
    kenya: dict[str, Any],
    new_contractor: Callable[..., int],
) -> None:
    """Three Ugandans on their own queue: their row is hidden, and so is a second one, or
    the total minus the visible row would give theirs back."""
    pay.distribution(
        country="UG",
        currency="UGX",
        period="hour",
        percentiles={"p10": "2000", "p25": "3000", "p50": "4000", "p75": "6000", "p90": "9000"},
    )
    pay.exchange_rate(dt.date(2026, 3, 31), "USD", "UGX", "3700")
    moderation = make_queue(app, slug="ug-review", tier=1)
    for person in kenya["people"]:
        paid(client, ops, person)
    for _ in range(3):
        person = new_contractor(country="UG", timezone="Africa/Kampala")
        start = dt.datetime(2026, 3, 5, 9, tzinfo=KAMPALA)
        pay.shift(person, moderation, start, start + dt.timedelta(hours=8))
        paid(client, ops, person)
    for group_by in ("queue", "country"):
        body = client.get(f"{URL}?{PERIOD}&group_by={group_by}", headers=as_role("compliance")).json
        hidden = [row for row in body["rows"] if row["suppressed"]]
        assert len(hidden) == 2, group_by
        key = "queue" if group_by == "queue" else "country"
        assert {"ug-review" if group_by == "queue" else "UG"} < {row[key] for row in hidden}
        for row in hidden:
            assert all(row[m] is None for m in body["metrics"])
        assert body["min_group"] == 10
        assert body["total"]["suppressed"] is False and body["total"]["contractors"] == 15
        # two currencies: the total has reporting figures only
        assert body["total"]["effective_hourly"] is None
        assert body["total"]["effective_hourly_reporting"] is not None
        visible = [row for row in body["rows"] if not row["suppressed"]]
        assert all(row["contractors"] >= 10 for row in visible)


def test_hours_below_the_target_and_the_floor_as_they_stand_now(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    pay: PayData,
    new_contractor: Callable[..., int],
) -> None:
    """Paid on 2025's distribution before 2026's was imported, under a floor raised later
    and backdated: every hour is below both."""
    pay.distribution(year=2025)
    queue = pay.queue()
    people = [new_contractor(country="KE") for _ in range(10)]
    for person in people:
        start = dt.datetime(2026, 3, 10, 9, tzinfo=NAIROBI)
        pay.shift(person, queue, start, start + dt.timedelta(hours=6))
        paid(client, ops, person)
    higher = {"p10": "15000", "p25": "21000", "p50": "30000", "p75": "45000", "p90": "75000"}
    pay.distribution(year=2026, percentiles=higher)
    pay.policy(
        effective_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        living_wage_floors={"KE": {"currency": "KES", "hourly": "250"}},
    )
    body = client.get(f"{URL}?{PERIOD}&reporting_currency=KES", headers=as_role("admin")).json
    [row] = body["rows"]
    assert row["base_hourly"] == "207.70"
    assert row["share_hours_below_target"] == 1.0
    assert row["share_hours_below_floor"] == 1.0
    # placed on 2026's distribution: 36000.64 lies between p50 30000 and p75 45000
    assert row["base_percentile"] == "60.00"
    assert row["policy_versions"] == [0, 1]
    assert row["base_hourly_reporting"] == "207.70"  # KES in KES: no rate needed
    assert body["exchange_rates"] == []


def test_csv_xlsx_png_and_a_missing_rate(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenya: dict[str, Any],
) -> None:
    for person in kenya["people"]:
        paid(client, ops, person)
    headers = as_role("compliance")
    table = client.get(f"{URL}?{PERIOD}&format=csv", headers=headers)
    assert table.status_code == 200 and table.headers["X-Report-Run"]
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["row"] for r in rows] == ["group", "total"]
    assert rows[0]["country"] == "KE" and rows[0]["effective_hourly"] == "223.28"
    assert rows[0]["policy_versions"] == "0"
    book = client.get(f"{URL}?{PERIOD}&format=xlsx", headers=headers)
    sheet = openpyxl.load_workbook(io.BytesIO(book.data))["report"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["Row", "Country", "Year", "Currency", "Hidden (small group)"]
    chart = client.get(f"/api/v1/reports/pay.png?{PERIOD}", headers=headers)
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    # no EUR rate: the reporting figures are null, never a partial sum
    body = client.get(f"{URL}?{PERIOD}&reporting_currency=EUR", headers=headers).json
    assert body["rows"][0]["effective_hourly_reporting"] is None
    assert body["rows"][0]["effective_hourly"] == "223.28"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-01", "to"),
        ("from=2026-04-01&to=2026-03-01", "from"),
        (f"{PERIOD}&group_by=contractor", "group_by"),
        (f"{PERIOD}&reporting_currency=usd", "reporting_currency"),
        (f"{PERIOD}&format=pdf", "format"),
        (f"{PERIOD}&country=KE", "country"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: FlaskClient, as_role: Callable[..., dict[str, str]], query: str, field: str
) -> None:
    response = client.get(f"{URL}?{query}", headers=as_role("compliance"))
    assert response.status_code == 422, response.json
    assert field in str(response.json)


def test_only_compliance_and_admin(
    client: FlaskClient, as_role: Callable[..., dict[str, str]]
) -> None:
    for role in ("ops", "wellbeing"):
        assert client.get(f"{URL}?{PERIOD}", headers=as_role(role)).status_code == 403
    empty = client.get(f"{URL}?{PERIOD}", headers=as_role("admin")).json
    assert empty["rows"] == [] and empty["total"]["contractors"] == 0
