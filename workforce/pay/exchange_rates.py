"""Exchange rates: stored reference rates, and converting a total to a reporting currency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce.errors import Conflict, InvalidInput
from workforce.money import round_money
from workforce.pay.inputs import MAX_YEAR, MIN_YEAR, currency_code, parse_decimal
from workforce.pay.models import ExchangeRate
from workforce.pay.render import plain
from workforce.pay.wages import EXACT, divide_truncated

#: An exchange rate older than this (before the end of the period) is not used: a
#: monthly reference rate is at most a month old.
MAX_EXCHANGE_RATE_AGE_DAYS = 31


def add_exchange_rate(
    session: Session, data: Mapping[str, Any], *, allow_identical: bool = True
) -> tuple[ExchangeRate, bool]:
    """Store ``1 base = rate quote`` on a date; an identical row is left alone, a
    different rate for the same pair and date is a 409 (statements cite these rows)."""
    on_date = data.get("date")
    if not isinstance(on_date, dt.date) or not MIN_YEAR <= on_date.year <= MAX_YEAR:
        raise InvalidInput.field("date", f"must be a date in {MIN_YEAR} to {MAX_YEAR}")
    base = currency_code(data.get("base"), "base")
    quote = currency_code(data.get("quote"), "quote")
    if base == quote:
        raise InvalidInput.field("quote", "must differ from base")
    rate = parse_decimal(data.get("rate"), "rate")
    if rate <= 0:
        raise InvalidInput.field("rate", "must be positive")
    source = str(data.get("source") or "").strip()
    if not source:
        raise InvalidInput.field("source", "say where the rate comes from")
    existing = session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.on_date == on_date
        )
    )
    if existing is not None:
        if allow_identical and existing.rate == rate and existing.source == source:
            return existing, False
        raise Conflict(
            f"{base}/{quote} on {on_date} is already {existing.rate:f} ({existing.source})",
            code="duplicate_exchange_rate",
        )
    row = ExchangeRate(on_date=on_date, base=base, quote=quote, rate=rate, source=source)
    session.add(row)
    session.flush()
    return row, True


def exchange_rates_query(
    *, base: str | None = None, quote: str | None = None
) -> Select[tuple[ExchangeRate]]:
    stmt = select(ExchangeRate).order_by(
        ExchangeRate.on_date.desc(), ExchangeRate.base, ExchangeRate.quote
    )
    if base:
        stmt = stmt.where(ExchangeRate.base == base.upper())
    if quote:
        stmt = stmt.where(ExchangeRate.quote == quote.upper())
    return stmt


@dataclass(frozen=True)
class Conversion:
    amount: Decimal
    currency: str
    row: ExchangeRate
    #: True when the table gives ``1 target = rate source`` and the amount was divided.
    inverse: bool

    def evidence(self) -> dict[str, Any]:
        return {
            "id": self.row.id,
            "base": self.row.base,
            "quote": self.row.quote,
            "rate": plain(self.row.rate),
            "date": self.row.on_date.isoformat(),
            "source": self.row.source,
            "applied": "divided by" if self.inverse else "multiplied by",
        }


def find_rate(session: Session, source: str, target: str, on: dt.date) -> tuple[ExchangeRate, bool]:
    """The latest ``source``/``target`` rate on or before ``on`` (either direction of the
    pair) and whether it is the inverse (``1 target = rate source``). 409 when the table
    has no recent rate."""
    oldest = on - dt.timedelta(days=MAX_EXCHANGE_RATE_AGE_DAYS)
    row = session.scalar(
        select(ExchangeRate)
        .where(
            ExchangeRate.on_date <= on,
            ExchangeRate.on_date >= oldest,
            (
                (ExchangeRate.base == source) & (ExchangeRate.quote == target)
                | (ExchangeRate.base == target) & (ExchangeRate.quote == source)
            ),
        )
        .order_by(ExchangeRate.on_date.desc(), ExchangeRate.base == target)
        .limit(1)
    )
    if row is None:
        raise Conflict(
            f"no {source}/{target} exchange rate between {oldest} and {on}; import one",
            code="no_exchange_rate",
        )
    return row, row.base == target


def apply_rate(amount: Decimal, row: ExchangeRate, inverse: bool) -> Decimal:
    """``amount`` converted at ``row``, not yet rounded. Dividing is the one inexact step;
    truncated far below the minor unit it still rounds exactly like the rational
    (workforce.pay.wages)."""
    return divide_truncated(amount, row.rate) if inverse else EXACT.multiply(amount, row.rate)


def convert(session: Session, amount: Decimal, source: str, target: str, on: dt.date) -> Conversion:
    """``amount`` in ``target`` at the latest rate on or before ``on`` (either direction
    of the pair), rounded half-up once. 409 when the table has no recent rate."""
    row, inverse = find_rate(session, source, target, on)
    return Conversion(round_money(apply_rate(amount, row, inverse), target), target, row, inverse)
