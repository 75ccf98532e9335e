"""Pay records: wage distributions, policy versions, exchange rates and pay statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workforce.db import Base, ExactDecimal, Money, UTCDateTime, utcnow
from workforce.http import file_name

WAGE_PERIODS = ("hour", "month")
STATEMENT_KINDS = ("regular", "adjustment")
STATEMENT_STATUSES = ("draft", "final")


class WageDistribution(Base):
    """Pay at percentiles of a country's (or subdivision's) wage distribution in a year."""

    __tablename__ = "wage_distributions"
    __table_args__ = (
        UniqueConstraint("scope", "year"),
        CheckConstraint("period IN ('hour', 'month')", name="period_known"),
        Index("ix_wage_distributions_country_year", "country", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    #: ISO 3166-2 (``US-CA``); None for a country-wide distribution.
    subdivision: Mapped[str | None] = mapped_column(String(6))
    #: The subdivision, or the country when there is none: unique with the year (a
    #: unique constraint over a nullable subdivision would let NULLs repeat).
    scope: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    #: Whether the values are pay per ``hour`` or per ``month``.
    period: Mapped[str] = mapped_column(String(5))
    #: ``{"p10": "60.00", ...}``: exact decimal strings, increasing with the percentile.
    percentiles: Mapped[dict[str, str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_token_id: Mapped[int | None] = mapped_column(Integer)

    def evidence(self) -> dict[str, Any]:
        """What a rate or report cites of this distribution."""
        return {
            "id": self.id,
            "country": self.country,
            "subdivision": self.subdivision,
            "year": self.year,
            "currency": self.currency,
            "period": self.period,
            "percentiles": dict(self.percentiles),
            "source": self.source,
        }


class PayPolicy(Base):
    """One version of the pay policy; the version in force is the highest one whose
    ``effective_from`` has passed."""

    __tablename__ = "pay_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    effective_from: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    #: :meth:`workforce.pay.terms.PolicyTerms.to_json`, complete.
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_token_id: Mapped[int | None] = mapped_column(Integer)


class ExchangeRate(Base):
    """``1 base = rate quote`` on a date, from an imported table."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("base", "quote", "on_date"),
        CheckConstraint("base <> quote", name="distinct_currencies"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    on_date: Mapped[dt.date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PayStatement(Base):
    """Pay for local dates ``period_start`` … ``period_end`` (inclusive). A draft may be
    recalculated or discarded; a final statement never changes — corrections are new
    ``adjustment`` statements pointing at it."""

    __tablename__ = "pay_statements"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("kind IN ('regular', 'adjustment')", name="kind_known"),
        CheckConstraint("status IN ('draft', 'final')", name="status_known"),
        Index("ix_pay_statements_contractor_period", "contractor_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    kind: Mapped[str] = mapped_column(String(10), default="regular")
    adjusts_statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("pay_statements.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(5), default="draft")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    base_hourly_rate: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    reporting_currency: Mapped[str | None] = mapped_column(String(3))
    reporting_total: Mapped[Decimal | None] = mapped_column(Money())
    #: What the numbers were derived from: policy version and terms, wage distribution,
    #: rate derivation, time zone, holiday calendar, exchange rate.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    calculated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_token_id: Mapped[int | None] = mapped_column(Integer)
    finalized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finalized_by_token_id: Mapped[int | None] = mapped_column(Integer)

    lines: Mapped[list[PayStatementLine]] = relationship(
        order_by="PayStatementLine.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def download_name(self) -> str:
        """The PDF slip's file name: kind, period and number
        (``pay-statement_2026-03-01_2026-03-31_no-12.pdf``)."""
        kind = "pay-adjustment" if self.kind == "adjustment" else "pay-statement"
        return file_name(kind, self.period_start, self.period_end, f"no-{self.id}", ext="pdf")


class PayStatementLine(Base):
    __tablename__ = "pay_statement_lines"
    __table_args__ = (UniqueConstraint("statement_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("pay_statements.id"))
    position: Mapped[int] = mapped_column(Integer)
    #: The contractor-local date the hours were worked on.
    work_date: Mapped[dt.date] = mapped_column(Date)
    #: workforce.pay.statements.LINE_KINDS
    kind: Mapped[str] = mapped_column(String(12))
    #: Holiday name, queue tier or credential code.
    detail: Mapped[str | None] = mapped_column(String(200))
    #: Worked seconds (a difference, possibly negative, on an adjustment).
    seconds: Mapped[int] = mapped_column(Integer)
    #: Share of the base hourly rate paid per hour (100 for base pay).
    percent: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
