"""The PDF pay slip (fpdf2), in the contractor's language.

The font is DejaVu Sans as bundled with matplotlib (a pinned dependency), so Latin,
Greek and Cyrillic text — Swahili, Spanish, Filipino, ₱, ₹, KSh — renders everywhere
without system fonts. Scripts that need shaping (Arabic, Devanagari, …) cannot be drawn
correctly without a shaping engine, so when any text of the slip would need one the slip
is written in English instead (with the same numbers), rather than with broken glyphs.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from fontTools.ttLib import TTFont
from fpdf import FPDF

from workforce.contractors.models import Contractor
from workforce.pay.labels import Wording
from workforce.pay.models import PayStatement
from workforce.pay.render import statement_document

FONT_NAME = "DejaVu"
#: Code points drawable glyph by glyph, left to right: Latin, Greek, Cyrillic (below the
#: Hebrew block), their extensions, spaces, punctuation, currency and letter-like symbols.
_SIMPLE_RANGES = (
    (0x0020, 0x0590),
    (0x1E00, 0x200B),
    (0x2010, 0x2028),
    (0x202F, 0x2030),
    (0x2030, 0x205F),
    (0x20A0, 0x20C1),
    (0x2100, 0x2150),
)


def _font_dir() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:  # pragma: no cover - a pinned dependency
        raise RuntimeError("matplotlib (for its DejaVu fonts) is not installed")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


@cache
def _coverage() -> frozenset[int]:
    with TTFont(_font_dir() / "DejaVuSans.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


def drawable(text: str) -> bool:
    """True when every character is in the font and needs no shaping or bidi."""
    covered = _coverage()
    return all(
        ch in "\n\t"
        or (ord(ch) in covered and any(lo <= ord(ch) < hi for lo, hi in _SIMPLE_RANGES))
        for ch in text
    )


def _fallback_locale(locale: str) -> str:
    """English, in the same territory when CLDR has it (en_IN keeps 12,34,567.89)."""
    territory = Locale.parse(locale).territory
    if territory:
        try:
            return str(Locale.parse(f"en_{territory}"))
        except (UnknownLocaleError, ValueError):
            pass
    return "en"


class _Slip(FPDF):
    """An A4 page that remembers every text drawn on it, to check the font can draw it."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.texts: list[str] = []

    def cell(self, w: Any = None, h: Any = None, text: str = "", *args: Any, **kwargs: Any) -> Any:
        self.texts.append(text)
        return super().cell(w, h, text, *args, **kwargs)

    def multi_cell(self, w: Any, h: Any = None, text: str = "", *args: Any, **kwargs: Any) -> Any:
        self.texts.append(text)
        return super().multi_cell(w, h, text, *args, **kwargs)

    def discard(self) -> None:
        """Close the font files of a slip that will not be output (output closes them)."""
        for font in self.fonts.values():
            close = getattr(font, "close", None)
            if close is not None:
                close()


def render_pdf(statement: PayStatement, contractor: Contractor, locale: str | None = None) -> bytes:
    """The slip as PDF bytes, in ``locale`` (default: the contractor's) or, when the font
    cannot draw that language, in English for the same territory."""
    locale = locale or contractor.locale
    slip = _draw(statement, contractor, locale)
    if not all(drawable(text) for text in slip.texts):
        slip.discard()
        slip = _draw(statement, contractor, _fallback_locale(locale))
    return bytes(slip.output())


def _safe(text: str) -> str:
    """Free text typed by people (a data source): the characters the font cannot draw
    become ``?``."""
    return "".join(ch if drawable(ch) else "?" for ch in text)


def _draw(statement: PayStatement, contractor: Contractor, locale: str) -> _Slip:
    w = Wording(locale)
    doc = statement_document(statement, contractor, locale)
    # A name in a script the font cannot draw is left out; the id identifies the person.
    name = contractor.full_name if drawable(contractor.full_name) else ""
    pdf = _Slip()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(f"{w('Pay statement')} {statement.id}")
    pdf.set_creator("Workforce")
    pdf.set_lang(str(w.locale).replace("_", "-"))
    font_dir = _font_dir()
    pdf.add_font(FONT_NAME, "", str(font_dir / "DejaVuSans.ttf"))
    pdf.add_font(FONT_NAME, "B", str(font_dir / "DejaVuSans-Bold.ttf"))
    pdf.add_page()

    title = w("Pay statement")
    if statement.kind == "adjustment":
        title = w("Adjustment to statement %(id)s", id=statement.adjusts_statement_id)
    pdf.set_font(FONT_NAME, "B", 16)
    pdf.cell(0, 10, f"{title} #{statement.id}", new_x="LMARGIN", new_y="NEXT")
    if statement.status != "final":
        pdf.set_font(FONT_NAME, "B", 11)
        pdf.cell(0, 7, w("Draft — not final"), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(FONT_NAME, "", 10)
    facts = [
        (w("Contractor"), f"{name} (#{contractor.id})".lstrip()),
        (w("Period"), doc["formatted"]["period"]),
        (w("Base hourly rate"), doc["formatted"]["base_hourly_rate"]),
    ]
    for label, value in facts:
        pdf.cell(45, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    widths = (30, 75, 20, 30, 35)
    _row(pdf, widths, [w("Date"), w("Item"), w("Hours"), w("Rate"), w("Amount")], 2, bold=True)
    for line in doc["lines"]:
        f = line["formatted"]
        _row(pdf, widths, [f["date"], line["label"], f["hours"], f["rate"], f["amount"]], 2)
    pdf.ln(4)

    pdf.set_font(FONT_NAME, "B", 11)
    pdf.cell(0, 7, w("Summary"), new_x="LMARGIN", new_y="NEXT")
    summary_widths = (125, 20, 45)
    for item in doc["summary"]:
        f = item["formatted"]
        _row(pdf, summary_widths, [item["label"], f["hours"], f["amount"]], 1)
    _row(pdf, summary_widths, [w("Total"), "", doc["formatted"]["total"]], 1, bold=True)

    reporting = doc["reporting"]
    if reporting:
        fx = reporting["exchange_rate"]
        pdf.ln(2)
        pdf.set_font(FONT_NAME, "", 10)
        pdf.cell(0, 6, f"{w('Total')} ({reporting['currency']}): {reporting['formatted']}")
        pdf.ln(6)
        pdf.cell(
            0,
            6,
            f"{w('Exchange rate')}: 1 {fx['base']} = {fx['rate']} {fx['quote']}, "
            f"{fx['date']} ({_safe(fx['source'])})",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    e = doc["evidence"]
    wages = e.get("wage_distribution", {})
    pdf.ln(4)
    pdf.set_font(FONT_NAME, "", 8)
    footer = (
        f"{w('Policy version')} {e.get('policy', {}).get('version')} · "
        f"{w('Percentile')} {e.get('rate', {}).get('percentile')} · "
        f"{w('Wage data')}: {wages.get('subdivision') or wages.get('country')} "
        f"{wages.get('year')}, {_safe(str(wages.get('source')))}"
    )
    pdf.multi_cell(0, 4, footer)
    return pdf


def _row(
    pdf: FPDF, widths: tuple[int, ...], cells: list[str], left: int, *, bold: bool = False
) -> None:
    """One table row; the first ``left`` columns are text, the rest numbers (right)."""
    pdf.set_font(FONT_NAME, "B" if bold else "", 9)
    for i, (width, text) in enumerate(zip(widths, cells, strict=True)):
        align = "L" if i < left else "R"
        pdf.cell(width, 6, _fit(pdf, text, width), border="B", align=align)
    pdf.ln(6)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten ``text`` with an ellipsis until it fits in ``width`` mm."""
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"
