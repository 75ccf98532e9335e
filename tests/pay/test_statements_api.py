"""Pay statements over HTTP: known cases, languages, bad input, finality, adjustments, access."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from tests.pay.conftest import PayData

NAIROBI = ZoneInfo("Africa/Nairobi")


def at(tz: str | ZoneInfo, *args: int) -> dt.datetime:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return dt.datetime(*args, tzinfo=zone)  # type: ignore[misc]


def statements(contractor_id: int) -> str:
    return f"/api/v1/contractors/{contractor_id}/pay-statements"


def create(
    client: FlaskClient,
    headers: dict[str, str],
    contractor_id: int,
    start: str,
    end: str,
    **more: Any,
) -> Any:
    body = {"period_start": start, "period_end": end, **more}
    return client.post(statements(contractor_id), json=body, headers=headers)


@pytest.fixture
def kenyan(pay: PayData, new_contractor: Callable[..., int]) -> dict[str, int]:
    """A Kenyan contractor (sw_KE, KES) with the holiday shift of the known case."""
    pay.example_wages()
    contractor = new_contractor(country="KE")
    queue = pay.queue(tier=1)
    pay.shift(contractor, queue, at(NAIROBI, 2026, 10, 19, 20), at(NAIROBI, 2026, 10, 20, 4))
    return {"contractor": contractor, "queue": queue}


def test_a_shift_across_midnight_into_a_kenyan_public_holiday(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int]
) -> None:
    response = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31")
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["kind"], body["currency"]) == ("draft", "regular", "KES")
    assert body["base_hourly_rate"] == "207.70"
    assert [(ln["date"], ln["kind"], ln["hours"], ln["amount"]) for ln in body["lines"]] == [
        ("2026-10-19", "base", "4.00", "830.80"),
        ("2026-10-19", "night", "2.00", "41.54"),
        ("2026-10-19", "hazard", "4.00", "41.54"),
        ("2026-10-20", "base", "4.00", "830.80"),
        ("2026-10-20", "night", "4.00", "83.08"),
        ("2026-10-20", "holiday", "4.00", "830.80"),
        ("2026-10-20", "hazard", "4.00", "41.54"),
    ]
    assert body["total"] == "2700.10"
    assert sum(Decimal(ln["amount"]) for ln in body["lines"]) == Decimal(body["total"])
    holiday = body["lines"][5]
    assert holiday["detail"] == "Mashujaa Day" and holiday["percent"] == "100"
    # In the contractor's own language (sw_KE), holiday name included.
    assert body["locale"] == "sw_KE"
    assert holiday["label"] == "Nyongeza ya sikukuu ya umma: Siku ya Mashujaa"
    assert body["lines"][0]["label"] == "Malipo ya msingi"
    assert body["formatted"]["total"] == "Ksh\xa02,700.10"
    assert holiday["formatted"]["date"] == "20 Okt 2026"
    # Evidence: which policy and wage distribution were used.
    evidence = body["evidence"]
    assert evidence["policy"]["version"] == 0
    assert evidence["wage_distribution"]["country"] == "KE"
    assert evidence["rate"]["hourly_rate"] == "207.70"
    assert evidence["timezone"] == "Africa/Nairobi" and evidence["holiday_calendar"] == "KE"
    summary = {(s["kind"], s["detail"]): s["amount"] for s in body["summary"]}
    assert summary[("base", None)] == "1661.60" and summary[("hazard", "1")] == "83.08"


def test_the_same_statement_in_two_languages(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int]
) -> None:
    statement = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").json
    url = f"/api/v1/pay-statements/{statement['id']}"
    english = client.get(f"{url}?locale=en_KE", headers=ops).json
    spanish = client.get(f"{url}?locale=es_CO", headers=ops).json
    assert english["lines"][5]["label"] == "Public holiday premium: Mashujaa Day"
    assert spanish["lines"][5]["label"].startswith("Recargo por festivo: ")
    assert english["formatted"]["total"] == "Ksh2,700.10"
    assert spanish["formatted"]["total"] == "KES2.700,10"
    assert spanish["lines"][0]["formatted"]["hours"] == "4,00"
    assert english["total"] == spanish["total"] == "2700.10"
    assert client.get(f"{url}?locale=xx_YY", headers=ops).status_code == 422


def test_a_night_shift_in_manila(
    client: FlaskClient, ops: dict[str, str], pay: PayData, new_contractor: Callable[..., int]
) -> None:
    pay.example_wages()
    contractor = new_contractor(country="PH")  # en_PH, PHP, Asia/Manila
    queue = pay.queue()
    pay.shift(
        contractor, queue, at("Asia/Manila", 2026, 9, 14, 22), at("Asia/Manila", 2026, 9, 15, 6)
    )
    body = create(client, ops, contractor, "2026-09-01", "2026-09-30").json
    # p65 of 21,000 … 30,000 = 26,400 a month / 173.33 h = 152.31
    assert body["base_hourly_rate"] == "152.31"
    assert [(ln["date"], ln["kind"], ln["amount"]) for ln in body["lines"]] == [
        ("2026-09-14", "base", "304.62"),
        ("2026-09-14", "night", "30.46"),
        ("2026-09-15", "base", "913.86"),
        ("2026-09-15", "night", "91.39"),  # 6 h × 15.231 = 91.386
    ]
    assert body["total"] == "1340.33"
    assert body["formatted"]["total"] == "₱1,340.33"


def test_overtime_in_the_week_summer_time_ends(
    client: FlaskClient, ops: dict[str, str], pay: PayData, new_contractor: Callable[..., int]
) -> None:
    pay.example_wages()
    contractor = new_contractor(country="US", timezone="America/Chicago", subdivision="US-IL")
    queue = pay.queue()
    for day in (26, 27, 28, 29):
        pay.shift(
            contractor,
            queue,
            at("America/Chicago", 2026, 10, day, 8),
            at("America/Chicago", 2026, 10, day, 18),
        )
    pay.shift(
        contractor,
        queue,
        at("America/Chicago", 2026, 11, 1, 0),
        at("America/Chicago", 2026, 11, 1, 6),
    )
    # The statement starts on Sunday 1 November: the week's first 40 h are in October's.
    body = create(client, ops, contractor, "2026-11-01", "2026-11-30").json
    assert body["base_hourly_rate"] == "30.48"
    assert [(ln["kind"], ln["seconds"], ln["amount"]) for ln in body["lines"]] == [
        ("base", 7 * 3600, "213.36"),
        ("night", 7 * 3600, "21.34"),  # 21.336
        ("overtime", 7 * 3600, "106.68"),
    ]
    # And October's statement has no overtime: the 40 h were not exceeded in October.
    october = create(client, ops, contractor, "2026-10-01", "2026-10-31").json
    assert {ln["kind"] for ln in october["lines"]} == {"base"}
    assert october["total"] == "1219.20"


@pytest.mark.parametrize(
    ("country", "locale", "currency", "rate", "total", "formatted"),
    [
        # 7 h 20 min at 1.845 KWD = 13.53; 3 decimals.
        ("KW", "en", "KWD", "1.845", "13.530", "KWD13.530"),
        # 7 h 20 min at 1,333 JPY = 9,775.33 → 9,775; no decimals.
        ("JP", "ja_JP", "JPY", "1333", "9775", "￥9,775"),
    ],
)
def test_kwd_and_jpy_contractors(
    client: FlaskClient,
    ops: dict[str, str],
    pay: PayData,
    new_contractor: Callable[..., int],
    country: str,
    locale: str,
    currency: str,
    rate: str,
    total: str,
    formatted: str,
) -> None:
    pay.distribution(
        country=country,
        currency=currency,
        period="hour",
        percentiles={"p10": "0.5", "p25": "0.7", "p50": "0.9", "p75": "1", "p90": rate},
    )
    pay.policy(target_percentile="90", effective_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    contractor = new_contractor(country=country, locale=locale)
    queue = pay.queue()
    start = dt.datetime(2026, 3, 2, 5, tzinfo=dt.UTC)  # daytime in Kuwait and Tokyo
    pay.shift(contractor, queue, start, start + dt.timedelta(hours=7, minutes=20))
    body = create(client, ops, contractor, "2026-03-01", "2026-03-31").json
    assert body["currency"] == currency and body["base_hourly_rate"] == rate
    assert body["total"] == total
    assert body["lines"][0]["amount"] == total
    assert body["formatted"]["total"] == formatted


def test_indian_grouping_and_a_reporting_currency(
    client: FlaskClient, ops: dict[str, str], pay: PayData, new_contractor: Callable[..., int]
) -> None:
    pay.distribution(
        country="IN",
        currency="INR",
        period="hour",
        percentiles={"p10": "1000", "p25": "2000", "p50": "3000", "p75": "4000", "p90": "61728.39"},
    )
    pay.policy(target_percentile="90", effective_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pay.exchange_rate(dt.date(2026, 3, 25), "USD", "INR", "84.10")
    pay.exchange_rate(dt.date(2026, 2, 1), "USD", "INR", "80")  # older: not used
    contractor = new_contractor(country="IN", locale="en_IN")
    queue = pay.queue()
    pay.shift(
        contractor, queue, at("Asia/Kolkata", 2026, 3, 2, 9), at("Asia/Kolkata", 2026, 3, 2, 11)
    )
    body = create(
        client, ops, contractor, "2026-03-01", "2026-03-31", reporting_currency="USD"
    ).json
    assert body["total"] == "123456.78"
    assert body["formatted"]["total"] == "₹1,23,456.78"
    reporting = body["reporting"]
    assert reporting["currency"] == "USD"
    assert reporting["total"] == "1467.98"  # 123,456.78 / 84.10 = 1,467.975…
    assert reporting["exchange_rate"]["date"] == "2026-03-25"
    assert reporting["exchange_rate"]["rate"] == "84.1"
    assert reporting["exchange_rate"]["applied"] == "divided by"
    assert body["reporting_total"] == "1467.98"


def test_reporting_currency_needs_a_recent_rate(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int], pay: PayData
) -> None:
    pay.exchange_rate(dt.date(2026, 9, 1), "USD", "KES", "129")  # 60 days before the end
    response = create(
        client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31", reporting_currency="USD"
    )
    assert response.status_code == 409 and response.json["code"] == "no_exchange_rate"
    same = create(
        client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31", reporting_currency="KES"
    )
    assert same.status_code == 422


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-01-01", "2026-03-04", "period_end"),  # 63 days
        ("2026-10-31", "2026-10-01", "period_end"),
        ("1999-12-01", "1999-12-31", "period_start"),
        ("2026-10-01", "not a date", "period_end"),
    ],
)
def test_bad_periods_are_422(
    client: FlaskClient,
    ops: dict[str, str],
    kenyan: dict[str, int],
    start: str,
    end: str,
    field: str,
) -> None:
    response = create(client, ops, kenyan["contractor"], start, end)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_62_days_is_the_longest_period(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int]
) -> None:
    assert create(client, ops, kenyan["contractor"], "2026-09-01", "2026-11-01").status_code == 201


def test_shifts_still_in_progress_are_a_conflict(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int], pay: PayData
) -> None:
    running = pay.shift(
        kenyan["contractor"],
        kenyan["queue"],
        at(NAIROBI, 2026, 10, 25, 8),
        at(NAIROBI, 2026, 10, 25, 16),
        status="in_progress",
    )
    response = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31")
    assert response.status_code == 409
    assert response.json["code"] == "shifts_in_progress"
    assert response.json["shift_ids"] == [running]
    # A period that ends before it is fine.
    assert create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-24").status_code == 201


def test_completed_shifts_without_clock_times_are_a_conflict(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int], pay: PayData
) -> None:
    pay.shift(
        kenyan["contractor"],
        kenyan["queue"],
        at(NAIROBI, 2026, 10, 25, 8),
        at(NAIROBI, 2026, 10, 25, 16),
        clocked=False,
    )
    response = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31")
    assert response.status_code == 409 and response.json["code"] == "shifts_not_clocked"


def test_overlapping_periods_and_currency_mismatch_are_conflicts(
    client: FlaskClient,
    ops: dict[str, str],
    kenyan: dict[str, int],
    new_contractor: Callable[..., int],
) -> None:
    assert create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").status_code == 201
    again = create(client, ops, kenyan["contractor"], "2026-10-31", "2026-11-05")
    assert again.status_code == 409 and again.json["code"] == "statement_overlaps"
    dollars = new_contractor(country="KE", currency="USD")
    mismatch = create(client, ops, dollars, "2026-10-01", "2026-10-31")
    assert mismatch.status_code == 409 and mismatch.json["code"] == "currency_mismatch"
    assert create(client, ops, 999999, "2026-10-01", "2026-10-31").status_code == 404


def test_finalized_statements_never_change(
    client: FlaskClient,
    ops: dict[str, str],
    kenyan: dict[str, int],
    as_role: Callable[..., dict[str, str]],
) -> None:
    statement = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").json
    url = f"/api/v1/pay-statements/{statement['id']}"
    final = client.post(f"{url}/finalize", headers=ops)
    assert final.status_code == 200, final.json
    assert final.json["status"] == "final" and final.json["finalized_at"]
    assert final.json["lines"] == statement["lines"]
    told = client.get(
        "/api/v1/me/notifications", headers=as_role("contractor", kenyan["contractor"])
    )
    pay_notices = [n for n in told.json["items"] if n["kind"].startswith("pay.")]
    assert [(n["kind"], n["payload"]["period_end"]) for n in pay_notices] == [
        ("pay.statement_final", "2026-10-31")
    ]
    for attempt in (
        client.post(f"{url}/finalize", headers=ops),
        client.post(f"{url}/recalculate", headers=ops),
        client.delete(url, headers=ops),
    ):
        assert attempt.status_code == 409, attempt.json
        assert attempt.json["code"] == "statement_final"
    assert client.get(url, headers=ops).json["total"] == "2700.10"


def test_a_draft_can_be_recalculated_or_discarded(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int], pay: PayData
) -> None:
    statement = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").json
    url = f"/api/v1/pay-statements/{statement['id']}"
    pay.shift(
        kenyan["contractor"],
        kenyan["queue"],
        at(NAIROBI, 2026, 10, 22, 9),
        at(NAIROBI, 2026, 10, 22, 10),
    )
    stale = client.post(f"{url}/finalize", headers=ops)
    assert stale.status_code == 409 and stale.json["code"] == "statement_stale"
    recalculated = client.post(f"{url}/recalculate", headers=ops).json
    assert recalculated["total"] == "2918.19"  # + 207.70 base + 10.385 → 10.39 hazard
    assert client.post(f"{url}/finalize", headers=ops).status_code == 200
    other = create(client, ops, kenyan["contractor"], "2026-09-01", "2026-09-30").json
    assert other["lines"] == [] and other["total"] == "0.00"
    assert client.delete(f"/api/v1/pay-statements/{other['id']}", headers=ops).status_code == 204
    assert client.get(f"/api/v1/pay-statements/{other['id']}", headers=ops).status_code == 404


def test_a_period_that_has_not_ended_cannot_be_finalized(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int]
) -> None:
    statement = create(client, ops, kenyan["contractor"], "2099-01-01", "2099-01-31").json
    response = client.post(f"/api/v1/pay-statements/{statement['id']}/finalize", headers=ops)
    assert response.status_code == 409 and response.json["code"] == "period_not_ended"


def test_corrections_are_adjusting_statements(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int], pay: PayData
) -> None:
    original = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").json
    url = f"/api/v1/pay-statements/{original['id']}"
    early = client.post(f"{url}/adjust", headers=ops)
    assert early.status_code == 409 and early.json["code"] == "statement_not_final"
    client.post(f"{url}/finalize", headers=ops)
    nothing = client.post(f"{url}/adjust", headers=ops)
    assert nothing.status_code == 409 and nothing.json["code"] == "nothing_to_adjust"
    # A forgotten shift turns up: it is paid by an adjustment, the original is untouched.
    pay.shift(
        kenyan["contractor"],
        kenyan["queue"],
        at(NAIROBI, 2026, 10, 22, 9),
        at(NAIROBI, 2026, 10, 22, 10),
    )
    adjustment = client.post(f"{url}/adjust", json={}, headers=ops)
    assert adjustment.status_code == 201, adjustment.json
    body = adjustment.json
    assert (body["kind"], body["status"], body["adjusts_statement_id"]) == (
        "adjustment",
        "draft",
        original["id"],
    )
    assert [(ln["date"], ln["kind"], ln["amount"]) for ln in body["lines"]] == [
        ("2026-10-22", "base", "207.70"),
        ("2026-10-22", "hazard", "10.39"),
    ]
    assert body["total"] == "218.09"
    pending = client.post(f"{url}/adjust", headers=ops)
    assert pending.status_code == 409 and pending.json["code"] == "adjustment_pending"
    adjustment_url = f"/api/v1/pay-statements/{body['id']}"
    assert client.post(f"{adjustment_url}/finalize", headers=ops).status_code == 200
    of_adjustment = client.post(f"{adjustment_url}/adjust", headers=ops)
    assert of_adjustment.status_code == 409 and of_adjustment.json["code"] == "adjust_the_original"
    assert client.get(url, headers=ops).json["total"] == "2700.10"
    assert client.post(f"{url}/adjust", headers=ops).json["code"] == "nothing_to_adjust"


def test_repricing_an_adjustment_uses_todays_policy(
    client: FlaskClient, ops: dict[str, str], kenyan: dict[str, int], pay: PayData
) -> None:
    original = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").json
    url = f"/api/v1/pay-statements/{original['id']}"
    client.post(f"{url}/finalize", headers=ops)
    pay.policy(
        hazard_premium_percent={"0": "0", "1": "0", "2": "10", "3": "20"},
        effective_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert client.post(f"{url}/adjust", headers=ops).json["code"] == "nothing_to_adjust"
    repriced = client.post(f"{url}/adjust", json={"reprice": True}, headers=ops)
    assert repriced.status_code == 201, repriced.json
    assert [(ln["kind"], ln["amount"]) for ln in repriced.json["lines"]] == [
        ("hazard", "-41.54"),
        ("hazard", "-41.54"),
    ]
    assert repriced.json["total"] == "-83.08"
    assert repriced.json["evidence"]["policy"]["version"] == 1
    assert repriced.json["evidence"]["repriced"] is True


def test_contractors_see_only_their_own_final_statements(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenyan: dict[str, int],
    new_contractor: Callable[..., int],
) -> None:
    me = kenyan["contractor"]
    mine = as_role("contractor", me)
    draft = create(client, ops, me, "2026-10-01", "2026-10-31").json
    assert client.get("/api/v1/me/pay-statements", headers=mine).json["total"] == 0
    assert client.get(f"/api/v1/me/pay-statements/{draft['id']}", headers=mine).status_code == 404
    assert client.get(f"/api/v1/pay-statements/{draft['id']}", headers=mine).status_code == 404
    client.post(f"/api/v1/pay-statements/{draft['id']}/finalize", headers=ops)
    listed = client.get("/api/v1/me/pay-statements", headers=mine).json
    assert [s["id"] for s in listed["items"]] == [draft["id"]]
    assert listed["items"][0]["total"] == "2700.10"
    one = client.get(f"/api/v1/me/pay-statements/{draft['id']}", headers=mine)
    assert one.status_code == 200 and one.json["lines"][0]["label"] == "Malipo ya msingi"
    assert client.get(statements(me), headers=mine).json["total"] == 1
    # Another contractor sees none of it, and cannot write.
    other = as_role("contractor", new_contractor())
    assert client.get(f"/api/v1/me/pay-statements/{draft['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/pay-statements/{draft['id']}", headers=other).status_code == 404
    assert client.get(statements(me), headers=other).status_code == 404
    assert create(client, mine, me, "2026-09-01", "2026-09-30").status_code == 403
    # Staff: ops and compliance read; wellbeing sees nothing about pay.
    assert client.get(statements(me), headers=as_role("compliance")).json["total"] == 1
    wellbeing = as_role("wellbeing")
    assert client.get(statements(me), headers=wellbeing).status_code == 403
    assert client.get(f"/api/v1/pay-statements/{draft['id']}", headers=wellbeing).status_code == 403
    assert client.get("/api/v1/me/pay-statements", headers=ops).status_code == 403


@pytest.mark.parametrize(
    ("locale", "expected_language"),
    [("sw_KE", "sw-KE"), ("es_CO", "es-CO"), ("hi_IN", "hi-IN"), ("ar_KW", "ar-KW")],
)
def test_pdf_pay_slip(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenyan: dict[str, int],
    caplog: pytest.LogCaptureFixture,
    locale: str,
    expected_language: str,
) -> None:
    statement = create(client, ops, kenyan["contractor"], "2026-10-01", "2026-10-31").json
    client.post(f"/api/v1/pay-statements/{statement['id']}/finalize", headers=ops)
    mine = as_role("contractor", kenyan["contractor"])
    with caplog.at_level(logging.WARNING):
        response = client.get(
            f"/api/v1/me/pay-statements/{statement['id']}?format=pdf&locale={locale}", headers=mine
        )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.data.rstrip().endswith(b"%%EOF")
    assert f"/Lang ({expected_language})".encode() in response.data
    # fpdf2 logs every glyph the font lacks: none may be missing.
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


def test_pdf_is_documented_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/pay-statements/{statement_id}",
        "/api/v1/me/pay-statements/{statement_id}",
    ):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "application/pdf"}
