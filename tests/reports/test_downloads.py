"""Downloads (issue 23): every file the API answers is named in ``Content-Disposition``, and
the spreadsheets are made as a person would make them (titles in the reader's language,
widths, number and date formats, a frozen header row)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import openpyxl
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from tests.reports.test_exposure_report import PERIOD as EXPOSURE_PERIOD
from tests.reports.test_exposure_report import population  # noqa: F401  (a fixture)
from tests.reports.test_pay_report import PERIOD as PAY_PERIOD
from tests.reports.test_pay_report import kenya, paid, pay  # noqa: F401  (fixtures)
from workforce.http import ascii_file_name, content_disposition, file_name
from workforce.reports import writers

METHODS = ("get", "post", "put", "patch", "delete")
EXTENSIONS = {
    "text/csv": "csv",
    writers.XLSX_TYPE: "xlsx",
    "image/png": "png",
    "application/pdf": "pdf",
    "text/calendar": "ics",
}
DISPOSITION = re.compile(
    r'^attachment; filename="([A-Za-z0-9._-]+)"(?:; filename\*=UTF-8\'\'(.+))?$'
)


# --- the header ------------------------------------------------------------------------------


def test_an_ascii_name_is_sent_as_is() -> None:
    name = file_name("exposure-report", "2026-03-02", "2026-03-15", "queue-gore", ext="xlsx")
    assert name == "exposure-report_2026-03-02_2026-03-15_queue-gore.xlsx"
    assert content_disposition(name) == f'attachment; filename="{name}"'


def test_a_name_outside_ascii_gets_a_fallback_and_filename_star() -> None:
    name = file_name("informe-de-exposición", "Señora Ñuñez", ext="csv")
    value = content_disposition(name)
    assert value.startswith('attachment; filename="informe-de-exposicion_Senora-Nunez.csv"')
    assert "filename*=UTF-8''informe-de-exposici%C3%B3n_Se%C3%B1ora%20%C3%91u%C3%B1ez.csv" in value


def test_separators_quotes_and_controls_never_reach_the_name() -> None:
    name = file_name('a/b\\c"d', "x:y\r\nz", None, "", ext="pdf")
    assert "/" not in name and '"' not in name and "\n" not in name and "\\" not in name
    assert name == "a-b-c-d_x-y-z.pdf"
    assert file_name(ext="ics") == "download.ics"


@given(st.text(max_size=60))
def test_any_name_gives_a_header_a_browser_can_read(text: str) -> None:
    value = content_disposition(file_name(text, ext="xlsx"))
    match = DISPOSITION.match(value)
    assert match, value
    fallback, encoded = match.groups()
    assert fallback.endswith(".xlsx") and fallback == ascii_file_name(fallback)
    if encoded is not None:
        assert unquote(encoded) == file_name(text, ext="xlsx")
    assert "\r" not in value and "\n" not in value


# --- every download route ------------------------------------------------------------------


def download_operations(client: FlaskClient) -> set[str]:
    """Operations of the OpenAPI document that answer something other than JSON."""
    spec = client.get("/api/v1/openapi.json").json
    found = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for response in operation["responses"].values():
                if any("json" not in t for t in response.get("content", {})):
                    found.add(f"{method.upper()} {path}")
    return found


def check_named(response: Any, *parts: str) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    value = response.headers.get("Content-Disposition", "")
    match = DISPOSITION.match(value)
    assert match, value
    name = match.group(1)
    assert name.endswith("." + EXTENSIONS[response.mimetype]), (name, response.mimetype)
    for part in parts:
        assert part in name, (part, name)
    return name


def test_every_download_in_the_openapi_document_names_its_file(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenya: dict[str, Any],  # noqa: F811
) -> None:
    """A new download route fails here until it is called below (and names its file)."""
    people = kenya["people"]
    for person in people:
        paid(client, ops, person)
    statement = client.get(f"/api/v1/contractors/{people[0]}/pay-statements", headers=ops).json[
        "items"
    ][0]["id"]
    mine = as_role("contractor", people[0])
    compliance = as_role("compliance")
    period = ("2026-03-01", "2026-03-31")
    calls: dict[str, list[tuple[str, dict[str, str], tuple[str, ...]]]] = {
        "GET /api/v1/reports/exposure": [
            (
                f"/api/v1/reports/exposure?{PAY_PERIOD}&group_by=queue&format={fmt}",
                compliance,
                ("exposure-report", *period, "by-queue"),
            )
            for fmt in ("csv", "xlsx")
        ],
        "GET /api/v1/reports/exposure.png": [
            (
                f"/api/v1/reports/exposure.png?{PAY_PERIOD}&country=KE&modality=video",
                compliance,
                ("exposure-chart", *period, "country-KE", "modality-video"),
            )
        ],
        "GET /api/v1/reports/pay": [
            (
                f"/api/v1/reports/pay?{PAY_PERIOD}&format={fmt}&reporting_currency=USD",
                compliance,
                ("pay-report", *period, "reporting_currency-USD", "by-country"),
            )
            for fmt in ("csv", "xlsx")
        ],
        "GET /api/v1/reports/pay.png": [
            (f"/api/v1/reports/pay.png?{PAY_PERIOD}", compliance, ("pay-chart", *period))
        ],
        "GET /api/v1/pay-statements/{statement_id}": [
            (
                f"/api/v1/pay-statements/{statement}?format=pdf",
                ops,
                ("pay-statement", *period, f"no-{statement}"),
            )
        ],
        "GET /api/v1/contractors/export": [
            (
                f"/api/v1/contractors/export?format={fmt}&country=KE",
                ops,
                ("contractors", "country-KE"),
            )
            for fmt in ("csv", "xlsx")
        ],
        "GET /api/v1/me/pay-statements/{statement_id}": [
            (
                f"/api/v1/me/pay-statements/{statement}?format=pdf&locale=sw_KE",
                mine,
                ("pay-statement", *period, f"no-{statement}"),
            )
        ],
    }
    assert download_operations(client) == set(calls)
    for requests in calls.values():
        for url, headers, parts in requests:
            check_named(client.get(url, headers=headers), *parts)
    # outside the document: the calendar feed (no bearer token; the secret is the key)
    feed = urlsplit(client.get("/api/v1/me/calendar", headers=mine).json["url"]).path
    assert check_named(client.get(feed), "shifts") == "shifts.ics"


# --- spreadsheets ----------------------------------------------------------------------------


def sheet_of(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def width_of(sheet: Any, number: int) -> float:
    """Column ``number``'s width (openpyxl keys a run of equal columns by its first)."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= number <= dimension.max:
            return float(dimension.width)
    raise AssertionError(f"column {get_column_letter(number)} has no width")


def columns(sheet: Any) -> dict[str, int]:
    """Title -> column number (1-based)."""
    return {cell.value: cell.column for cell in sheet[1]}


def test_the_exposure_spreadsheet_is_made_for_people(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
) -> None:
    query = f"/api/v1/reports/exposure?{EXPOSURE_PERIOD}&group_by=week,tier"
    body = client.get(query, headers=admin).json
    response = client.get(query + "&format=xlsx", headers=admin)
    book = sheet_of(response)
    sheet = book["report"]
    at = columns(sheet)
    assert list(at)[:4] == ["Row", "Week (Monday)", "Tier", "Hidden (small group)"]
    assert "Mean minutes per contractor-day" in at and "Days over the tier 2 cap" in at
    assert "Rotations: daily limit" in at and "Breaks taken" in at
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
    for title in at:
        assert sheet.cell(1, at[title]).font.b, title  # a bold header
        assert "_" not in title, title  # no machine name left untitled
    # each column at least as wide as its values, and its title on at most two lines
    for title, number in at.items():
        width = width_of(sheet, number)
        assert writers.MIN_WIDTH <= width <= writers.MAX_WIDTH
        assert width >= min(writers.MAX_WIDTH, max(len(w) for w in title.split())), title
        assert width * 2 >= min(len(title), writers.MAX_WIDTH), title
    row, first = next((n, r) for n, r in enumerate(body["rows"], start=2) if not r["suppressed"])
    week = sheet.cell(row, at["Week (Monday)"])
    assert week.is_date and week.value == dt.datetime.fromisoformat(first["week"])
    assert week.number_format == writers.DATE
    formats = {
        "Exposure (minutes)": "#,##0",
        "Mean minutes per contractor-day": "#,##0",
        "Exposure (hours)": "#,##0.00",
        "Contractors": "#,##0",
        "Breaks taken": "0.0%",
        "Breach to rotation, median (seconds)": "#,##0",
    }
    for title, fmt in formats.items():
        assert sheet.cell(row, at[title]).number_format == fmt, title
    # the values are the JSON's, unrounded: only their display is formatted
    assert (
        sheet.cell(row, at["Mean minutes per contractor-day"]).value == first["mean_daily_minutes"]
    )
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "Total" and sheet.cell(last, 1).font.b
    evidence = book["evidence"]
    facts = {r[0].value: r[1] for r in evidence.iter_rows()}
    assert facts["From"].is_date and facts["From"].value == dt.datetime(2026, 3, 2)
    assert facts["SHA-256 of the JSON report"].value == response.headers["X-Report-SHA256"]


@pytest.mark.parametrize(
    ("how", "headers", "row", "week", "tier2"),
    [
        ("locale=sw_KE", {}, "Safu", "Wiki (Jumatatu)", "Siku zilizozidi kikomo cha daraja 2"),
        ("locale=es", {}, "Fila", "Semana (lunes)", "Días por encima del límite del nivel 2"),
        ("", {"Accept-Language": "fil-PH, en;q=0.5"}, "Hanay", "Linggo (Lunes)", None),
    ],
)
def test_titles_are_in_the_requesters_language(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
    how: str,
    headers: dict[str, str],
    row: str,
    week: str,
    tier2: str | None,
) -> None:
    query = f"/api/v1/reports/exposure?{EXPOSURE_PERIOD}&group_by=week&format=xlsx&{how}"
    sheet = sheet_of(client.get(query, headers={**admin, **headers}))["report"]
    at = columns(sheet)
    assert list(at)[:2] == [row, week]
    if tier2:
        assert tier2 in at
    assert sheet.cell(sheet.max_row, 1).value in {"Jumla", "Total", "Kabuuan"}


def test_csv_keeps_machine_names_unless_titles_are_asked_for(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
) -> None:
    query = f"/api/v1/reports/exposure?{EXPOSURE_PERIOD}&group_by=country&format=csv"
    header = next(csv.reader(io.StringIO(client.get(query, headers=admin).text)))
    assert header[:3] == ["row", "country", "suppressed"] and "exposure_hours" in header
    titled = client.get(query + "&columns=titles&locale=sw", headers=admin)
    header = next(csv.reader(io.StringIO(titled.text)))
    assert header[:3] == ["Safu", "Nchi", "Imefichwa (kikundi kidogo)"]
    assert "Mfiduo (saa)" in header


@pytest.mark.parametrize(
    ("query", "field"),
    [("locale=de", "locale"), ("locale=xx_YY", "locale"), ("columns=pretty", "columns")],
)
def test_a_bad_language_or_header_choice_is_a_422_naming_it(
    client: FlaskClient, admin: dict[str, str], query: str, field: str
) -> None:
    response = client.get(
        f"/api/v1/reports/exposure?{EXPOSURE_PERIOD}&format=xlsx&{query}", headers=admin
    )
    assert response.status_code == 422
    assert field in str(response.json)


def test_pay_money_is_shown_at_the_currencys_precision(
    client: FlaskClient,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    kenya: dict[str, Any],  # noqa: F811
) -> None:
    for person in kenya["people"]:
        paid(client, ops, person)
    headers = as_role("compliance")
    url = f"/api/v1/reports/pay?{PAY_PERIOD}&reporting_currency=JPY"
    body = client.get(url, headers=headers).json
    sheet = sheet_of(client.get(url + "&format=xlsx", headers=headers))["report"]
    at = columns(sheet)
    row = body["rows"][0]
    effective = sheet.cell(2, at["Effective pay per hour"])
    assert effective.value == float(row["effective_hourly"])  # a number, not text
    assert effective.number_format == "#,##0.00"  # KES: two digits
    if row["effective_hourly_reporting"] is not None:
        reporting = sheet.cell(2, at["Effective pay per hour (reporting currency)"])
        assert reporting.number_format == "#,##0"  # JPY: none
    assert sheet.cell(2, at["Base pay per hour"]).number_format == "#,##0.00"
    assert sheet.cell(2, at["Night premium pay per hour"]).number_format == "#,##0.00"
    assert sheet.cell(2, at["Hours paid below the target"]).number_format == "0.0%"
    assert sheet.cell(2, at["Year"]).value == 2026
    assert sheet.cell(2, at["Year"]).number_format == "0"
