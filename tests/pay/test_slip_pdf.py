"""The PDF pay slip as a person reads it, in six languages and three scripts.

Each slip is fetched over HTTP and its text extracted with poppler's ``pdftotext`` (Debian's
poppler-utils; ``make test`` installs it): the labels are whole, amounts and rates are at
the currency's precision, the employer and the pay date are there, and Hindi and Arabic
come out as written, not as boxes or English. Page 1 of every slip is rendered to
``test-artifacts/pay-slips/slip-<language>.png`` (``pdftoppm``) for a person to look at.

Two things poppler does to correct PDFs are undone before comparing: it adds spaces inside
Devanagari words where a vowel sign is drawn before its consonant (so words are compared
without white space), and it writes the two letters of an Arabic lam-alef ligature in
reverse order (so the expected text is given the same order, :func:`as_poppler_reads`).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.pay.conftest import PayData
from tests.wording import raw_codes
from workforce.i18n import SLIP_LANGUAGES, SOURCE_LANGUAGE
from workforce.pay.labels import Wording
from workforce.pay.paydate import is_business_day, pay_date

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pay-slips"
EMPLOYER = "Kazi Salama Ltd"
#: Labels every slip has, in the slip's language.
LABELS = (
    "Pay statement",
    "Employer",
    "Contractor",
    "Period",
    "Pay date",
    "Base hourly rate",
    "Date",
    "Item",
    "Hours",
    "Rate",
    "Amount",
    "Summary",
    "Total",
)

#: A run of letters and digits, with the decimal and group separators inside a number.
WORD = re.compile(r"[^\W_]+(?:[.,][^\W_]+)*")


@dataclass(frozen=True)
class Case:
    language: str
    country: str
    locale: str
    timezone: str
    name: str
    #: Words of the slip that must be in the language's own script.
    native: tuple[str, ...] = ()


CASES = [
    Case("en", "KE", "en_KE", "Africa/Nairobi", "Grace Wanjiru"),
    Case("sw", "KE", "sw_KE", "Africa/Nairobi", "Amani Njoroge"),
    Case("fil", "PH", "fil_PH", "Asia/Manila", "Maria Santos"),
    Case("es", "CO", "es_CO", "America/Bogota", "Lucía Gómez"),
    Case("hi", "IN", "hi_IN", "Asia/Kolkata", "प्रिया शर्मा", ("वेतन विवरण", "मूल वेतन")),
    Case("ar", "KE", "ar", "Africa/Nairobi", "فاطمة الزهراء", ("كشف الراتب", "الأجر الأساسي")),
]


def test_every_shipped_slip_language_has_a_case() -> None:
    assert [c.language for c in CASES] == [SOURCE_LANGUAGE, *SLIP_LANGUAGES]


def flatten(text: str) -> str:
    """``text`` without format characters (bidi marks) and white space."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and not ch.isspace())


def as_poppler_reads(expected: str) -> str:
    """``expected`` as pdftotext gives it back from a correct PDF, flattened: a lam-alef
    ligature (one glyph) comes back alef first."""
    return flatten(re.sub("ل([اأإآ])", r"\1ل", expected))


def extract(pdf: bytes, tmp_path: Path, language: str) -> str:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.fail("poppler-utils is not installed: run make slip-tools (make test does)")
    path = tmp_path / f"slip-{language}.pdf"
    path.write_bytes(pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "80", "-png", "-singlefile", str(path),
         str(ARTIFACTS / f"slip-{language}")],
        check=True,
    )  # fmt: skip
    assert (ARTIFACTS / f"slip-{language}.png").stat().st_size > 10_000
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return done.stdout.decode("utf-8")


def worked_statement(
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    new_contractor: Callable[..., int],
    case: Case,
) -> int:
    """A final October statement: a night shift on a tier-1 queue, into 20 October (a public
    holiday in Kenya), for a contractor of ``case``."""
    contractor = new_contractor(
        country=case.country, locale=case.locale, timezone=case.timezone, full_name=case.name
    )
    queue = pay.queue(tier=1)
    zone = ZoneInfo(case.timezone)
    start = dt.datetime(2026, 10, 19, 20, tzinfo=zone)
    pay.shift(contractor, queue, start, start + dt.timedelta(hours=8))
    body = {"period_start": "2026-10-01", "period_end": "2026-10-31"}
    created = client.post(
        f"/api/v1/contractors/{contractor}/pay-statements", json=body, headers=ops
    )
    assert created.status_code == 201, created.json
    statement = int(created.json["id"])
    final = client.post(f"/api/v1/pay-statements/{statement}/finalize", headers=ops)
    assert final.status_code == 200, final.json
    return contractor


@pytest.mark.parametrize("case", CASES, ids=[c.language for c in CASES])
def test_slip_text_in_every_language(
    app: Flask,
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    new_contractor: Callable[..., int],
    tmp_path: Path,
    case: Case,
) -> None:
    app.config["EMPLOYER_NAME"] = EMPLOYER
    pay.example_wages()
    contractor = worked_statement(client, pay, ops, new_contractor, case)
    mine = as_role("contractor", contractor)
    [brief] = client.get("/api/v1/me/pay-statements", headers=mine).json["items"]
    doc: dict[str, Any] = client.get(f"/api/v1/me/pay-statements/{brief['id']}", headers=mine).json
    slip = client.get(f"/api/v1/me/pay-statements/{brief['id']}?format=pdf", headers=mine)
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    text = extract(slip.data, tmp_path, case.language)
    flat = flatten(text)
    w = Wording(case.locale)

    def shown(value: str) -> None:
        # Mixed scripts are laid out by the bidi algorithm: compare word by word; in a
        # right-to-left slip, numbers and words between marks and signs (a date's "/" ends
        # up on either side of its number) one by one.
        words = WORD.findall(value) if w.locale.character_order == "right-to-left" else None
        for word in words or value.split():
            assert as_poppler_reads(word) in flat, f"{word!r} of {value!r} not in:\n{text}"

    assert "…" not in text and "\ufffd" not in text
    assert raw_codes(text) == [], text  # no codes: a person reads names (issue 23)
    for label in LABELS:
        assert as_poppler_reads(w(label)) in flat, f"{w(label)!r} not whole in:\n{text}"
    for line in doc["lines"] + doc["summary"]:
        shown(line["label"])
        for value in line["formatted"].values():
            shown(value)
    shown(doc["formatted"]["total"])
    shown(doc["formatted"]["base_hourly_rate"])
    assert EMPLOYER.replace(" ", "") in flat
    assert as_poppler_reads(case.name) in flat
    finalized = dt.datetime.fromisoformat(doc["finalized_at"]).astimezone(ZoneInfo(case.timezone))
    paid_on = pay_date(dt.date(2026, 10, 31), finalized.date(), 5, case.country, None)
    shown(w.date(paid_on))
    shown(w.place(case.country))  # the wage data's country by name, not "KE"
    for native in case.native:
        assert as_poppler_reads(native) in flat, f"{native!r} not in:\n{text}"
    if case.native:  # the language's own words, never the English fallback
        assert "Base pay" not in text and "Pay statement" not in text


def test_rates_are_at_the_currency_precision_on_the_slip(
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    new_contractor: Callable[..., int],
    tmp_path: Path,
) -> None:
    """A hazard premium of 5 % on a base rate with two decimals has three or four: the
    slip shows it rounded half-up to the currency's two."""
    pay.example_wages()
    case = CASES[2]  # fil_PH, PHP
    contractor = worked_statement(client, pay, ops, new_contractor, case)
    mine = as_role("contractor", contractor)
    [brief] = client.get("/api/v1/me/pay-statements", headers=mine).json["items"]
    doc = client.get(f"/api/v1/me/pay-statements/{brief['id']}", headers=mine).json
    long_rates = [line for line in doc["lines"] if len(line["rate"].partition(".")[2]) > 2]
    assert long_rates, "the case must have a rate with more digits than the currency"
    slip = client.get(f"/api/v1/me/pay-statements/{brief['id']}?format=pdf", headers=mine)
    text = extract(slip.data, tmp_path, "fil-rates")
    for line in long_rates:
        assert line["rate"] not in text
        assert line["formatted"]["rate"].replace("\xa0", " ") in text.replace("\xa0", " ")
    for number in re.findall(r"₱\s?[\d,]+\.(\d+)", text):
        assert len(number) == 2, text


def test_a_long_label_wraps_in_its_cell_instead_of_being_cut(
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    new_contractor: Callable[..., int],
    tmp_path: Path,
    app: Flask,
) -> None:
    app.config["EMPLOYER_NAME"] = "Shirika la Usalama wa Wasimamizi wa Maudhui Afrika Mashariki"
    pay.example_wages()
    contractor = worked_statement(client, pay, ops, new_contractor, CASES[1])
    mine = as_role("contractor", contractor)
    [brief] = client.get("/api/v1/me/pay-statements", headers=mine).json["items"]
    slip = client.get(f"/api/v1/me/pay-statements/{brief['id']}?format=pdf", headers=mine)
    text = extract(slip.data, tmp_path, "sw-long")
    flat = flatten(text)
    assert "…" not in text
    assert as_poppler_reads(app.config["EMPLOYER_NAME"]) in flat
    assert as_poppler_reads("Nyongeza ya sikukuu ya umma: Siku ya Mashujaa") in flat


def test_no_employer_configured_means_no_employer_line(
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    as_role: Callable[..., dict[str, str]],
    new_contractor: Callable[..., int],
    tmp_path: Path,
) -> None:
    pay.example_wages()
    contractor = worked_statement(client, pay, ops, new_contractor, CASES[0])
    mine = as_role("contractor", contractor)
    [brief] = client.get("/api/v1/me/pay-statements", headers=mine).json["items"]
    slip = client.get(f"/api/v1/me/pay-statements/{brief['id']}?format=pdf", headers=mine)
    text = extract(slip.data, tmp_path, "en-no-employer")
    assert "Employer" not in text and "Pay date" in text


def test_missing_fonts_are_a_503_naming_the_file_and_the_setting(
    app: Flask,
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    new_contractor: Callable[..., int],
    tmp_path: Path,
) -> None:
    pay.example_wages()
    contractor = worked_statement(client, pay, ops, new_contractor, CASES[0])
    statement = client.get(f"/api/v1/contractors/{contractor}/pay-statements", headers=ops)
    item = statement.json["items"][0]["id"]
    app.config["FONT_DIR"] = str(tmp_path / "no-fonts")
    response = client.get(f"/api/v1/pay-statements/{item}?format=pdf", headers=ops)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["code"] == "slip_fonts_missing"
    assert "NotoSans-Regular.ttf" in problem["detail"]
    assert "WORKFORCE_FONT_DIR" in problem["detail"] and "fonts-noto-core" in problem["detail"]
    # The JSON statement does not need the fonts.
    assert client.get(f"/api/v1/pay-statements/{item}", headers=ops).status_code == 200


# --- the pay date rule --------------------------------------------------------------------


def test_pay_date_skips_weekends_and_public_holidays() -> None:
    # Friday 16 October 2026; Tuesday 20 October is Mashujaa Day in Kenya.
    friday = dt.date(2026, 10, 16)
    assert pay_date(friday, None, 5, "KE", None) == dt.date(2026, 10, 26)
    assert pay_date(friday, None, 5, "PH", None) == dt.date(2026, 10, 23)
    assert pay_date(friday, None, 0, "KE", None) == friday
    assert pay_date(dt.date(2026, 10, 17), None, 0, "KE", None) == dt.date(2026, 10, 19)
    # Finalized after the period: counted from the day it was finalized.
    assert pay_date(friday, dt.date(2026, 11, 2), 1, "KE", None) == dt.date(2026, 11, 3)


@given(
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31)),
    st.one_of(st.none(), st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31))),
    st.integers(min_value=0, max_value=15),
    st.sampled_from(["KE", "PH", "IN", "CO"]),
)
def test_the_pay_date_is_the_nth_business_day_after_the_later_start(
    period_end: dt.date, finalized: dt.date | None, days: int, country: str
) -> None:
    start = max(period_end, finalized) if finalized else period_end
    paid = pay_date(period_end, finalized, days, country, None)
    assert is_business_day(paid, country, None)
    between = [
        start + dt.timedelta(days=i)
        for i in range(1, (paid - start).days + 1)
        if is_business_day(start + dt.timedelta(days=i), country, None)
    ]
    if days == 0:
        assert paid >= start
        assert not [
            d
            for d in (start + dt.timedelta(days=i) for i in range((paid - start).days))
            if is_business_day(d, country, None)
        ]
    else:
        assert paid > start and len(between) == days


def test_a_long_statement_runs_over_pages_with_its_headings_repeated(
    client: FlaskClient,
    pay: PayData,
    ops: dict[str, str],
    new_contractor: Callable[..., int],
    tmp_path: Path,
) -> None:
    pay.example_wages()
    contractor = new_contractor(country="KE", locale="en_KE")
    queue = pay.queue(tier=2)
    nairobi = ZoneInfo("Africa/Nairobi")
    for day in range(1, 31):
        start = dt.datetime(2026, 10, day, 18, tzinfo=nairobi)
        pay.shift(contractor, queue, start, start + dt.timedelta(hours=8))
    body = {"period_start": "2026-10-01", "period_end": "2026-10-31"}
    created = client.post(
        f"/api/v1/contractors/{contractor}/pay-statements", json=body, headers=ops
    )
    assert created.status_code == 201, created.json
    slip = client.get(f"/api/v1/pay-statements/{created.json['id']}?format=pdf", headers=ops)
    text = extract(slip.data, tmp_path, "en-long")
    pages = text.count("\f")
    assert pages >= 3, pages
    # The lines' headings open every page the table reaches.
    for page in text.split("\f")[:-2]:
        assert "Amount" in page and "Rate" in page, page
    assert "…" not in text
