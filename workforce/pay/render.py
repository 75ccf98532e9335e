"""A pay statement as a contractor reads it: labelled lines, a summary, formatted amounts.

The same document feeds the JSON answer and the PDF slip. Everything here is
presentation: amounts are the stored, rounded ``Decimal`` values, sent as decimal strings
with exactly the currency's digits (PostgreSQL returns NUMERIC(20, 6) with six); Babel
only formats.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from workforce.contractors.models import Contractor
from workforce.money import round_money, to_money_string
from workforce.pay.labels import Wording
from workforce.pay.models import PayStatement, PayStatementLine
from workforce.pay.statements import LINE_KINDS, line_rate

#: Hours are shown to the hundredth; amounts are computed from the exact seconds.
HOURS_SHOWN = Decimal("0.01")
_ORDER = {kind: i for i, kind in enumerate(LINE_KINDS)}


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros (``10.000000`` → ``10``), exactly."""
    return f"{value.normalize(Context(prec=60)):f}"


def rate_string(rate: Decimal, currency: str) -> str:
    """A per-hour rate: the currency's digits, or more when it has more (``18.125``)."""
    rounded = round_money(rate, currency)
    return to_money_string(rate, currency) if rounded == rate else plain(rate)


def hours(seconds: int) -> Decimal:
    """Worked hours for display, half-up to the hundredth (7 h 20 min → 7.33)."""
    return (Decimal(seconds) / 3600).quantize(HOURS_SHOWN, rounding=ROUND_HALF_UP)


def line_label(
    w: Wording, kind: str, detail: str | None, statement: PayStatement, day: dt.date
) -> str:
    """A line's wording: ``Public holiday premium: Mashujaa Day`` in the reader's language."""
    if kind == "base":
        return w("Base pay")
    if kind == "night":
        return w("Night premium")
    if kind == "holiday":
        e = statement.evidence
        name = w.holiday(detail or "", e["country"], e.get("subdivision"), day)
        return w("Public holiday premium: %(name)s", name=name)
    if kind == "hazard":
        return w("Hazard premium, queue tier %(tier)s", tier=detail)
    if kind == "credential":
        return w("Credential premium: %(code)s", code=w.credential(detail or ""))
    return w("Overtime premium")


def _line(w: Wording, statement: PayStatement, row: PayStatementLine) -> dict[str, Any]:
    currency = statement.currency
    base = round_money(statement.base_hourly_rate, currency)
    rate = line_rate(base, Decimal(plain(row.percent)))
    amount = round_money(row.amount, currency)
    shown = hours(row.seconds)
    return {
        "date": row.work_date,
        "kind": row.kind,
        "detail": row.detail,
        "label": line_label(w, row.kind, row.detail, statement, row.work_date),
        "seconds": row.seconds,
        "hours": f"{shown:f}",
        "percent": plain(row.percent),
        "rate": rate_string(rate, currency),
        "amount": to_money_string(amount, currency),
        "formatted": {
            "date": w.date(row.work_date),
            "hours": w.hours(shown),
            # The exact rate is ``rate`` above; a person reads it at the currency's precision.
            "rate": w.money(rate, currency),
            "amount": w.money(amount, currency),
        },
    }


def _summary(w: Wording, statement: PayStatement) -> list[dict[str, Any]]:
    """Totals per kind and detail (sums of the rounded lines)."""
    seconds: dict[tuple[str, str], int] = defaultdict(int)
    amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    details: dict[tuple[str, str], tuple[str | None, dt.date]] = {}
    for row in statement.lines:
        key = (row.kind, row.detail or "")
        seconds[key] += row.seconds
        amounts[key] += row.amount
        details.setdefault(key, (row.detail, row.work_date))
    out = []
    for key in sorted(seconds, key=lambda k: (_ORDER[k[0]], k[1])):
        detail, day = details[key]
        shown = hours(seconds[key])
        amount = round_money(amounts[key], statement.currency)
        out.append(
            {
                "kind": key[0],
                "detail": detail,
                "label": line_label(w, key[0], detail, statement, day),
                "seconds": seconds[key],
                "hours": f"{shown:f}",
                "amount": to_money_string(amount, statement.currency),
                "formatted": {
                    "hours": w.hours(shown),
                    "amount": w.money(amount, statement.currency),
                },
            }
        )
    return out


def statement_document(
    statement: PayStatement, contractor: Contractor, locale: str | None = None
) -> dict[str, Any]:
    """The statement with labels and formatted strings in ``locale`` (default: the
    contractor's)."""
    w = Wording(locale or contractor.locale)
    currency = statement.currency
    base = round_money(statement.base_hourly_rate, currency)
    total = round_money(statement.total, currency)
    reporting = None
    if statement.reporting_currency and statement.reporting_total is not None:
        converted = round_money(statement.reporting_total, statement.reporting_currency)
        reporting = {
            "currency": statement.reporting_currency,
            "total": to_money_string(converted, statement.reporting_currency),
            "exchange_rate": statement.evidence.get("exchange_rate"),
            "formatted": w.money(converted, statement.reporting_currency),
        }
    return {
        **statement_brief(statement),
        "locale": str(w.locale),
        "base_hourly_rate": to_money_string(base, currency),
        "reporting": reporting,
        "lines": [_line(w, statement, row) for row in statement.lines],
        "summary": _summary(w, statement),
        "formatted": {
            "period": f"{w.date(statement.period_start)} – {w.date(statement.period_end)}",
            "base_hourly_rate": w.money(base, currency),
            "total": w.money(total, currency),
        },
        "evidence": statement.evidence,
        "calculated_at": statement.calculated_at,
    }


def statement_brief(statement: PayStatement) -> dict[str, Any]:
    """The statement without its lines (lists)."""
    reporting_total = None
    if statement.reporting_currency and statement.reporting_total is not None:
        reporting_total = to_money_string(statement.reporting_total, statement.reporting_currency)
    return {
        "id": statement.id,
        "contractor_id": statement.contractor_id,
        "kind": statement.kind,
        "adjusts_statement_id": statement.adjusts_statement_id,
        "status": statement.status,
        "period_start": statement.period_start,
        "period_end": statement.period_end,
        "currency": statement.currency,
        "total": to_money_string(statement.total, statement.currency),
        "reporting_currency": statement.reporting_currency,
        "reporting_total": reporting_total,
        "created_at": statement.created_at,
        "finalized_at": statement.finalized_at,
    }
