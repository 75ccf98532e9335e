"""The PDF pay slip (fpdf2), in the contractor's language and script.

Layout: fpdf2's table API, so every cell wraps (a long label takes two lines; nothing is
cut with "…" and no heading runs into an amount). Text is shaped by HarfBuzz
(``set_text_shaping``, the ``uharfbuzz`` package), so Devanagari and Arabic are drawn as
written; Arabic (and any right-to-left language) is laid out from the right: columns
mirrored, text aligned right, numbers left. Fonts: Noto from Debian
(:mod:`workforce.pay.fonts`). Amounts and rates are at the currency's precision
(:func:`workforce.money.format_money`). The employer and the pay date come from the
configuration (:class:`SlipSettings`; the pay date rule is :mod:`workforce.pay.paydate`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout

from workforce.contractors.models import Contractor
from workforce.pay.fonts import DEFAULT_FONT_DIR, coverage, faces_for, font_files
from workforce.pay.labels import Wording
from workforce.pay.models import PayStatement
from workforce.pay.paydate import pay_date
from workforce.pay.render import statement_document
from workforce.timeutil import load_zone, local_date

#: A4 with 15 mm margins: 180 mm of text width.
MARGIN = 15
#: Relative widths of the columns: date, item, hours, rate, amount; summary: item, hours,
#: amount; facts: label, value. Long texts wrap inside their column.
LINE_COLUMNS = (17, 37, 11, 17, 18)
SUMMARY_COLUMNS = (60, 14, 26)
FACT_COLUMNS = (32, 68)
BOLD = FontFace(emphasis="BOLD")


@dataclass(frozen=True)
class SlipSettings:
    """What a slip takes from the configuration (``WORKFORCE_EMPLOYER_NAME``,
    ``WORKFORCE_PAY_DATE_BUSINESS_DAYS``, ``WORKFORCE_FONT_DIR``)."""

    employer: str = ""
    pay_date_business_days: int = 5
    font_dir: str = DEFAULT_FONT_DIR

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SlipSettings:
        return cls(
            employer=str(config.get("EMPLOYER_NAME") or "").strip(),
            pay_date_business_days=int(config.get("PAY_DATE_BUSINESS_DAYS", 5)),
            font_dir=str(config.get("FONT_DIR") or DEFAULT_FONT_DIR),
        )


def statement_pay_date(statement: PayStatement, business_days: int) -> dt.date:
    """The statement's pay date (:func:`workforce.pay.paydate.pay_date`): counted from the
    period's last day, or from the contractor-local day it was finalized when later."""
    e = statement.evidence
    finalized = None
    if statement.finalized_at is not None:
        finalized = local_date(statement.finalized_at, load_zone(e["timezone"]))
    return pay_date(
        statement.period_end, finalized, business_days, e["country"], e.get("subdivision")
    )


def render_pdf(
    statement: PayStatement,
    contractor: Contractor,
    locale: str | None,
    settings: SlipSettings,
) -> bytes:
    """The slip as PDF bytes, in ``locale`` (default: the contractor's)."""
    pdf = _draw(statement, contractor, locale or contractor.locale, settings)
    return bytes(pdf.output())


def _draw(
    statement: PayStatement, contractor: Contractor, locale: str, settings: SlipSettings
) -> FPDF:
    w = Wording(locale)
    rtl = w.locale.character_order == "right-to-left"
    doc = statement_document(statement, contractor, locale)
    files = font_files(settings.font_dir)
    faces = faces_for(w.locale.language)
    covered = coverage(path for face in faces for path in files[face])

    def safe(text: str) -> str:
        """Free text typed by people: what no face can draw becomes ``?``."""
        return "".join(ch if ch.isspace() or ord(ch) in covered else "?" for ch in text)

    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    # Literals go to w() outside f-strings, where ``make translations-update`` finds them.
    pdf.set_title(w("Pay statement") + f" {statement.id}")
    pdf.set_author(settings.employer or "Workforce")
    pdf.set_creator("Workforce")
    pdf.set_lang(str(w.locale).replace("_", "-"))
    for face in faces:
        regular, bold = files[face]
        pdf.add_font(face.family, "", str(regular))
        pdf.add_font(face.family, "B", str(bold))
    pdf.set_fallback_fonts([face.family for face in faces[1:]], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.add_page()
    family = faces[0].family
    start = "R" if rtl else "L"
    end = "L" if rtl else "R"

    def ordered(cells: Sequence[Any]) -> list[Any]:
        """Columns from the reading start: mirrored for a right-to-left language."""
        return list(reversed(cells)) if rtl else list(cells)

    def paragraph(text: str, size: float, *, bold: bool = False, height: float = 6) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(0, height, text, align=start, new_x="LMARGIN", new_y="NEXT")

    title = w("Pay statement")
    if statement.kind == "adjustment":
        title = w("Adjustment to statement %(id)s", id=statement.adjusts_statement_id)
    paragraph(f"{title} #{statement.id}", 16, bold=True, height=9)
    if statement.status != "final":
        paragraph(w("Draft — not final"), 11, bold=True)
    pdf.ln(2)

    # The facts: a two-column table without headings, so a long label wraps in its cell.
    name = safe(contractor.full_name)
    facts = []
    if settings.employer:
        facts.append((w("Employer"), safe(settings.employer)))
    facts += [
        (w("Contractor"), f"{name} (#{contractor.id})".strip()),
        (w("Period"), doc["formatted"]["period"]),
        (w("Pay date"), w.date(statement_pay_date(statement, settings.pay_date_business_days))),
        (w("Base hourly rate"), doc["formatted"]["base_hourly_rate"]),
    ]
    pdf.set_font(family, "", 10)
    with pdf.table(
        col_widths=ordered(FACT_COLUMNS),
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.NONE,
        text_align=start,
        line_height=5.5,
        padding=(0.8, 1),
        align=start,
    ) as table:
        for label, value in facts:
            row = table.row()
            for text, style in ordered([(label, BOLD), (value, None)]):
                row.cell(text, style=style)
    pdf.ln(4)

    # The lines: date and item read from the start; hours, rate and amount line up at the end.
    pdf.set_font(family, "", 9)
    with pdf.table(
        col_widths=ordered(LINE_COLUMNS),
        text_align=ordered((start, start, end, end, end)),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=BOLD,
        line_height=5,
        padding=(0.8, 1),
        repeat_headings=1,
    ) as table:
        table.row(ordered([w("Date"), w("Item"), w("Hours"), w("Rate"), w("Amount")]))
        for line in doc["lines"]:
            f = line["formatted"]
            table.row(ordered([f["date"], line["label"], f["hours"], f["rate"], f["amount"]]))
    pdf.ln(4)

    paragraph(w("Summary"), 11, bold=True, height=7)
    pdf.set_font(family, "", 9)
    with pdf.table(
        col_widths=ordered(SUMMARY_COLUMNS),
        text_align=ordered((start, end, end)),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=BOLD,
        line_height=5,
        padding=(0.8, 1),
    ) as table:
        table.row(ordered([w("Item"), w("Hours"), w("Amount")]))
        for item in doc["summary"]:
            f = item["formatted"]
            table.row(ordered([item["label"], f["hours"], f["amount"]]))
        total = table.row()
        for text in ordered([w("Total"), "", doc["formatted"]["total"]]):
            total.cell(text, style=BOLD)

    reporting = doc["reporting"]
    if reporting:
        fx = reporting["exchange_rate"]
        pdf.ln(2)
        total_label, rate_label = w("Total"), w("Exchange rate")
        paragraph(f"{total_label} ({reporting['currency']}): {reporting['formatted']}", 10)
        paragraph(
            f"{rate_label}: 1 {fx['base']} = {fx['rate']} {fx['quote']}, "
            f"{fx['date']} ({safe(fx['source'])})",
            10,
        )

    e = doc["evidence"]
    wages = e.get("wage_distribution", {})
    pdf.ln(4)
    policy_label, percentile_label, wages_label = (
        w("Policy version"),
        w("Percentile"),
        w("Wage data"),
    )
    place = w.place(str(wages.get("country")), wages.get("subdivision"))
    footer = (
        f"{policy_label} {e.get('policy', {}).get('version')} · "
        f"{percentile_label} {e.get('rate', {}).get('percentile')} · "
        f"{wages_label}: {place} {wages.get('year')}, {safe(str(wages.get('source')))}"
    )
    paragraph(footer, 8, height=4)
    return pdf
