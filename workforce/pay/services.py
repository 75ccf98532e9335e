"""Pay services: wage distributions, policy versions, rates, exchange rates, statements.

Services validate, read and write through the caller's session and ``flush()``; the
request or command commits. The arithmetic lives in :mod:`workforce.pay.wages` (rates) and
:mod:`workforce.pay.statements` (line items); this module gathers their inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.contractors.services import get_contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.holidays import holiday_lookup, holiday_scope
from workforce.i18n import validate_country, validate_subdivision
from workforce.identity import access as auth
from workforce.money import round_money
from workforce.notifications.services import notify_once
from workforce.pay import labels
from workforce.pay.inputs import currency_code, parse_decimal
from workforce.pay.models import (
    WAGE_PERIODS,
    ExchangeRate,
    PayPolicy,
    PayStatement,
    PayStatementLine,
    WageDistribution,
)
from workforce.pay.render import plain
from workforce.pay.statements import Calculation, PayLine, WorkedInterval, calculate, difference
from workforce.pay.terms import DEFAULT_TERMS, PolicyTerms
from workforce.pay.wages import (
    EXACT,
    RateDerivation,
    derive_hourly_rate,
    divide_truncated,
    parse_percentile_key,
    validate_percentiles,
)
from workforce.queues.models import Queue
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_day_bounds, local_week_start

#: A statement covers at most this many local days (two months, whatever their length).
MAX_PERIOD_DAYS = 62
#: Years a wage distribution, policy or statement may name: keeps the calendar arithmetic
#: (holidays, time zones) within what the libraries know.
MIN_YEAR, MAX_YEAR = 2000, 2100
#: An exchange rate older than this (before the end of the period) is not used: a
#: monthly reference rate is at most a month old.
MAX_EXCHANGE_RATE_AGE_DAYS = 31


# --- wage distributions ---------------------------------------------------------------


def _year(value: Any, field: str = "year") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= MAX_YEAR:
        raise InvalidInput.field(field, f"must be a year from {MIN_YEAR} to {MAX_YEAR}")
    return value


def _subdivision(code: str | None, country: str) -> str | None:
    return validate_subdivision(code, country) if code else None


def add_distribution(
    session: Session, data: Mapping[str, Any], *, allow_identical: bool = False
) -> tuple[WageDistribution, bool]:
    """Store a wage distribution; returns it and whether it is new.

    Distributions are evidence on statements, so they are never changed: a second one for
    the same place and year is a 409, unless ``allow_identical`` and it is the same data
    (re-running an import).
    """
    country = validate_country(str(data.get("country", "")))
    subdivision = _subdivision(data.get("subdivision"), country)
    year = _year(data.get("year"))
    currency = currency_code(data.get("currency"))
    period = data.get("period")
    if period not in WAGE_PERIODS:
        raise InvalidInput.field("period", "must be 'hour' or 'month'")
    raw = data.get("percentiles")
    if not isinstance(raw, Mapping):
        raise InvalidInput.field("percentiles", 'must be an object like {"p10": "60.00"}')
    points = validate_percentiles({k: parse_decimal(v, f"percentiles.{k}") for k, v in raw.items()})
    source = str(data.get("source") or "").strip()
    if not source:
        raise InvalidInput.field("source", "say where the figures come from")
    percentiles = {f"p{p}": f"{v:f}" for p, v in points.items()}
    scope = subdivision or country

    existing = session.scalar(
        select(WageDistribution).where(
            WageDistribution.scope == scope, WageDistribution.year == year
        )
    )
    if existing is not None:
        same = (
            existing.currency == currency
            and existing.period == period
            and _points(existing) == points
            and existing.source == source
        )
        if allow_identical and same:
            return existing, False
        raise Conflict(
            f"a wage distribution for {scope} {year} exists already (id {existing.id}); "
            "distributions are evidence on statements and are never replaced",
            code="duplicate_wage_distribution",
        )
    distribution = WageDistribution(
        country=country,
        subdivision=subdivision,
        scope=scope,
        year=year,
        currency=currency,
        period=period,
        percentiles=percentiles,
        source=source,
        created_by_token_id=audit.current_actor().token_id,
    )
    session.add(distribution)
    session.flush()
    audit.record(
        session,
        "wage_distribution.create",
        "wage_distribution",
        distribution.id,
        {"scope": scope, "year": year, "currency": currency, "period": period},
    )
    return distribution, True


def _points(distribution: WageDistribution) -> dict[int, Decimal]:
    return {
        parse_percentile_key(k): Decimal(v) for k, v in sorted(distribution.percentiles.items())
    }


def get_distribution(session: Session, distribution_id: int) -> WageDistribution:
    distribution = session.get(WageDistribution, distribution_id)
    if distribution is None:
        raise NotFound(f"wage distribution {distribution_id} does not exist")
    return distribution


def distributions_query(
    *, country: str | None = None, year: int | None = None
) -> Select[tuple[WageDistribution]]:
    stmt = select(WageDistribution).order_by(
        WageDistribution.country, WageDistribution.scope, WageDistribution.year.desc()
    )
    if country:
        stmt = stmt.where(WageDistribution.country == validate_country(country))
    if year is not None:
        stmt = stmt.where(WageDistribution.year == year)
    return stmt


def find_distribution(
    session: Session, country: str, subdivision: str | None, year: int
) -> WageDistribution:
    """The latest distribution of ``year`` or before: the subdivision's own when there is
    one, else the country's. 409 when there is none."""
    base = (
        select(WageDistribution)
        .where(WageDistribution.country == country, WageDistribution.year <= year)
        .order_by(WageDistribution.year.desc())
        .limit(1)
    )
    found = None
    if subdivision:
        found = session.scalar(base.where(WageDistribution.subdivision == subdivision))
    if found is None:
        found = session.scalar(base.where(WageDistribution.subdivision.is_(None)))
    if found is None:
        where = f"{subdivision} or {country}" if subdivision else country
        raise Conflict(
            f"no wage distribution for {where} in {year} or before; import one first",
            code="no_wage_distribution",
        )
    return found


# --- policy versions ------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyVersion:
    """A stored version, or version 0: the built-in defaults, until one is stored."""

    version: int
    effective_from: dt.datetime | None
    terms: PolicyTerms
    note: str | None = None
    created_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: PayPolicy) -> PolicyVersion:
        return cls(
            row.version,
            row.effective_from,
            PolicyTerms.from_json(row.terms),
            row.note,
            row.created_at,
        )


BUILT_IN_POLICY = PolicyVersion(0, None, DEFAULT_TERMS, "built-in defaults")


def policy_in_force(session: Session, at: dt.datetime) -> PolicyVersion:
    """The highest version whose ``effective_from`` is at or before ``at``."""
    row = session.scalar(
        select(PayPolicy)
        .where(PayPolicy.effective_from <= at)
        .order_by(PayPolicy.version.desc())
        .limit(1)
    )
    return PolicyVersion.of(row) if row is not None else BUILT_IN_POLICY


def create_policy(session: Session, data: Mapping[str, Any]) -> PolicyVersion:
    """A new version. Terms left out are copied from the latest version (or defaults)."""
    values = dict(data)
    effective_from = values.pop("effective_from", None) or utcnow()
    if not MIN_YEAR <= effective_from.year <= MAX_YEAR:
        raise InvalidInput.field("effective_from", f"must be in {MIN_YEAR} to {MAX_YEAR}")
    note = values.pop("note", None)
    latest = session.scalar(select(PayPolicy).order_by(PayPolicy.version.desc()).limit(1))
    base = PolicyTerms.from_json(latest.terms) if latest is not None else DEFAULT_TERMS
    terms = PolicyTerms.from_json(values, base=base)
    row = PayPolicy(
        version=(latest.version if latest is not None else 0) + 1,
        effective_from=effective_from,
        terms=terms.to_json(),
        note=note,
        created_by_token_id=audit.current_actor().token_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "pay_policy.create",
        "pay_policy",
        row.version,
        {"version": row.version, "effective_from": effective_from.isoformat()},
    )
    return PolicyVersion.of(row)


def policies_query() -> Select[tuple[PayPolicy]]:
    return select(PayPolicy).order_by(PayPolicy.version.desc())


# --- rates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """An hourly base rate and everything it was derived from."""

    country: str
    subdivision: str | None
    policy: PolicyVersion
    distribution: WageDistribution
    hours_per_month: Decimal
    derivation: RateDerivation

    @property
    def currency(self) -> str:
        return self.derivation.currency

    @property
    def hourly_rate(self) -> Decimal:
        return self.derivation.hourly_rate

    def evidence(self) -> dict[str, Any]:
        d = self.distribution
        floor = self.policy.terms.floor_for(self.country)
        return {
            "policy": {
                "version": self.policy.version,
                "effective_from": (
                    self.policy.effective_from.isoformat() if self.policy.effective_from else None
                ),
                "terms": self.policy.terms.to_json(),
            },
            "wage_distribution": {
                "id": d.id,
                "country": d.country,
                "subdivision": d.subdivision,
                "year": d.year,
                "currency": d.currency,
                "period": d.period,
                "percentiles": dict(d.percentiles),
                "source": d.source,
            },
            "rate": {
                "hourly_rate": f"{self.hourly_rate:f}",
                "currency": self.currency,
                "percentile": f"{self.derivation.percentile:f}",
                "interpolated_between": [f"p{p}" for p in self.derivation.interpolated_between],
                "hours_per_month": f"{self.hours_per_month:f}" if d.period == "month" else None,
                "floor": f"{floor.hourly:f}" if floor else None,
                "floor_applied": self.derivation.floor_applied,
                "explanation": self.derivation.explanation,
            },
        }


def rate_for(
    session: Session, country: str, subdivision: str | None, year: int, at: dt.datetime
) -> Rate:
    """The hourly base rate in ``country``/``subdivision`` for ``year`` under the policy in
    force at ``at``: the target percentile of the local distribution, floored."""
    country = validate_country(country)
    subdivision = _subdivision(subdivision, country)
    _year(year)
    policy = policy_in_force(session, at)
    distribution = find_distribution(session, country, subdivision, year)
    floor = policy.terms.floor_for(country)
    if floor is not None and floor.currency != distribution.currency:
        raise Conflict(
            f"the living-wage floor for {country} is in {floor.currency} but the wage "
            f"distribution is in {distribution.currency}",
            code="floor_currency_mismatch",
        )
    hours = policy.terms.hours_per_month_for(country)
    try:
        derivation = derive_hourly_rate(
            _points(distribution),
            policy.terms.target_percentile,
            distribution.period,
            hours,
            distribution.currency,
            floor.hourly if floor else None,
        )
    except InvalidInput as exc:
        # The policy and the distribution are each valid but do not fit together.
        raise Conflict(
            f"the policy's target percentile cannot be read off wage distribution "
            f"{distribution.id}: {exc.detail}",
            code="percentile_out_of_range",
        ) from None
    return Rate(country, subdivision, policy, distribution, hours, derivation)


# --- exchange rates -------------------------------------------------------------------


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


def convert(session: Session, amount: Decimal, source: str, target: str, on: dt.date) -> Conversion:
    """``amount`` in ``target`` at the latest rate on or before ``on`` (either direction
    of the pair), rounded half-up once. 409 when the table has no recent rate."""
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
    inverse = row.base == target
    # Dividing is the one inexact step; truncated far below the minor unit it still rounds
    # exactly like the rational (workforce.pay.wages).
    converted = divide_truncated(amount, row.rate) if inverse else EXACT.multiply(amount, row.rate)
    return Conversion(round_money(converted, target), target, row, inverse)


# --- statements -----------------------------------------------------------------------


@dataclass(frozen=True)
class Basis:
    """Everything a statement's numbers depend on besides the shifts."""

    timezone: str
    country: str
    subdivision: str | None
    currency: str
    base_rate: Decimal
    terms: PolicyTerms
    evidence: dict[str, Any]

    @classmethod
    def current(cls, session: Session, contractor: Contractor, first_day: dt.date) -> Basis:
        """From the contractor's details, the policy in force at the local start of the
        period and the latest wage distribution of its year."""
        tz = load_zone(contractor.timezone)
        start = local_day_bounds(first_day, tz)[0]
        rate = rate_for(session, contractor.country, contractor.subdivision, first_day.year, start)
        if rate.currency != contractor.currency:
            raise Conflict(
                f"contractor {contractor.id} is paid in {contractor.currency} but the wage "
                f"distribution for {rate.distribution.scope} is in {rate.currency}",
                code="currency_mismatch",
            )
        evidence = {
            "timezone": contractor.timezone,
            "country": contractor.country,
            "subdivision": contractor.subdivision,
            "holiday_calendar": holiday_scope(contractor.country, contractor.subdivision),
            **rate.evidence(),
        }
        return cls(
            contractor.timezone,
            contractor.country,
            contractor.subdivision,
            rate.currency,
            rate.hourly_rate,
            rate.policy.terms,
            evidence,
        )

    @classmethod
    def recorded(cls, statement: PayStatement) -> Basis:
        """The basis a statement was calculated on, from its evidence."""
        e = statement.evidence
        return cls(
            e["timezone"],
            e["country"],
            e["subdivision"],
            statement.currency,
            statement.base_hourly_rate,
            PolicyTerms.from_json(e["policy"]["terms"]),
            {k: v for k, v in e.items() if k not in ("exchange_rate", "repriced")},
        )


def _period(first_day: dt.date, last_day: dt.date) -> None:
    for name, day in (("period_start", first_day), ("period_end", last_day)):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise InvalidInput.field(name, f"must be in {MIN_YEAR} to {MAX_YEAR}")
    if last_day < first_day:
        raise InvalidInput.field("period_end", "must not be before period_start")
    days = (last_day - first_day).days + 1
    if days > MAX_PERIOD_DAYS:
        raise InvalidInput.field(
            "period_end", f"a statement covers at most {MAX_PERIOD_DAYS} days, not {days}"
        )


def worked_intervals(
    session: Session, contractor_id: int, tz_name: str, first_day: dt.date, last_day: dt.date
) -> list[WorkedInterval]:
    """Completed shifts (clocked times) that touch the period or, for overtime, the part
    of its first ISO week before it. 409 if one of them is in progress or unclocked."""
    tz = load_zone(tz_name)
    context_start = local_day_bounds(local_week_start(first_day), tz)[0]
    period_end = local_day_bounds(last_day, tz)[1]
    mine = Shift.contractor_id == contractor_id
    running = session.scalars(
        select(Shift.id)
        .where(
            mine,
            Shift.status == "in_progress",
            func.coalesce(Shift.clock_in_at, Shift.starts_at) < period_end,
        )
        .order_by(Shift.id)
    ).all()
    if running:
        raise Conflict(
            f"shift(s) {', '.join(map(str, running))} are still in progress; "
            "pay is computed from completed shifts only",
            code="shifts_in_progress",
            extra={"shift_ids": list(running)},
        )
    unclocked = session.scalars(
        select(Shift.id)
        .where(
            mine,
            Shift.status == "completed",
            (Shift.clock_in_at.is_(None) | Shift.clock_out_at.is_(None)),
            Shift.starts_at < period_end,
            Shift.ends_at > context_start,
        )
        .order_by(Shift.id)
    ).all()
    if unclocked:
        raise Conflict(
            f"completed shift(s) {', '.join(map(str, unclocked))} have no clock-in or "
            "clock-out time; correct them first",
            code="shifts_not_clocked",
            extra={"shift_ids": list(unclocked)},
        )
    rows = session.execute(
        select(Shift, Queue.tier, Queue.required_credentials)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            mine,
            Shift.status == "completed",
            Shift.clock_in_at < period_end,
            Shift.clock_out_at > context_start,
        )
        .order_by(Shift.clock_in_at, Shift.id)
    ).all()
    intervals = []
    for shift, tier, required in rows:
        assert shift.clock_in_at is not None and shift.clock_out_at is not None
        codes = frozenset(item["code"] for item in required or () if item.get("kind") != "language")
        intervals.append(
            WorkedInterval(shift.clock_in_at, shift.clock_out_at, tier, codes, shift.id)
        )
    return intervals


def _calculate(
    session: Session,
    contractor_id: int,
    basis: Basis,
    first_day: dt.date,
    last_day: dt.date,
) -> Calculation:
    return calculate(
        worked_intervals(session, contractor_id, basis.timezone, first_day, last_day),
        first_day=first_day,
        last_day=last_day,
        tz=load_zone(basis.timezone),
        currency=basis.currency,
        base_rate=basis.base_rate,
        premiums=basis.terms.premiums_for(basis.country),
        holidays=holiday_lookup(basis.country, basis.subdivision, labels.STORED_HOLIDAY_LOCALE),
    )


def get_statement(session: Session, statement_id: int) -> PayStatement:
    statement = session.get(PayStatement, statement_id)
    if statement is None:
        raise NotFound(f"pay statement {statement_id} does not exist")
    return statement


def visible_statement(session: Session, statement_id: int) -> PayStatement:
    """The statement as the current principal may see it: a contractor sees only their
    own final statements; anything else is a 404."""
    statement = get_statement(session, statement_id)
    principal = auth.principal()
    if principal.role == "contractor" and (
        statement.contractor_id != principal.contractor_id or statement.status != "final"
    ):
        raise NotFound(f"pay statement {statement_id} does not exist")
    return statement


def statements_query(
    contractor_id: int, *, status: str | None = None, final_only: bool = False
) -> Select[tuple[PayStatement]]:
    stmt = (
        select(PayStatement)
        .where(PayStatement.contractor_id == contractor_id)
        .order_by(PayStatement.period_start.desc(), PayStatement.id.desc())
    )
    if final_only:
        stmt = stmt.where(PayStatement.status == "final")
    if status:
        stmt = stmt.where(PayStatement.status == status)
    return stmt


def _lines(statement: PayStatement) -> list[PayLine]:
    return [
        PayLine(row.work_date, row.kind, row.detail, row.seconds, row.percent, row.amount)
        for row in statement.lines
    ]


def _store(
    session: Session,
    statement: PayStatement,
    basis: Basis,
    lines: Iterable[PayLine],
    extra_evidence: Mapping[str, Any] | None = None,
) -> None:
    """Write lines, total, evidence and the reporting conversion onto a draft."""
    statement.lines.clear()
    session.flush()  # the old lines go before new ones reuse their positions
    total = round_money(0, basis.currency)
    for position, line in enumerate(lines, start=1):
        statement.lines.append(
            PayStatementLine(
                position=position,
                work_date=line.work_date,
                kind=line.kind,
                detail=line.detail,
                seconds=line.seconds,
                percent=line.percent,
                amount=line.amount,
            )
        )
        total += line.amount
    evidence = {**basis.evidence, **(extra_evidence or {})}
    statement.currency = basis.currency
    statement.base_hourly_rate = basis.base_rate
    statement.total = total
    statement.reporting_total = None
    if statement.reporting_currency:
        conversion = convert(
            session, total, basis.currency, statement.reporting_currency, statement.period_end
        )
        statement.reporting_total = conversion.amount
        evidence["exchange_rate"] = conversion.evidence()
    statement.evidence = evidence
    statement.calculated_at = utcnow()
    session.flush()


def _reporting_currency(code: str | None, currency: str) -> str | None:
    if not code:
        return None
    code = currency_code(code, "reporting_currency")
    if code == currency:
        raise InvalidInput.field("reporting_currency", f"the statement is already in {code}")
    return code


def create_statement(session: Session, contractor_id: int, data: Mapping[str, Any]) -> PayStatement:
    """A draft statement for the contractor-local dates ``period_start`` … ``period_end``."""
    contractor = get_contractor(session, contractor_id)
    first_day, last_day = data["period_start"], data["period_end"]
    _period(first_day, last_day)
    overlapping = session.scalar(
        select(PayStatement.id).where(
            PayStatement.contractor_id == contractor.id,
            PayStatement.kind == "regular",
            PayStatement.period_start <= last_day,
            PayStatement.period_end >= first_day,
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"statement {overlapping} already covers part of this period; recalculate it "
            "while it is a draft, or adjust it once final",
            code="statement_overlaps",
            extra={"statement_id": overlapping},
        )
    basis = Basis.current(session, contractor, first_day)
    reporting = _reporting_currency(data.get("reporting_currency"), basis.currency)
    calculation = _calculate(session, contractor.id, basis, first_day, last_day)
    statement = PayStatement(
        contractor_id=contractor.id,
        kind="regular",
        status="draft",
        period_start=first_day,
        period_end=last_day,
        currency=basis.currency,
        base_hourly_rate=basis.base_rate,
        total=calculation.total,
        reporting_currency=reporting,
        evidence={},
        created_by_token_id=audit.current_actor().token_id,
    )
    session.add(statement)
    _store(session, statement, basis, calculation.lines)
    audit.record(
        session,
        "pay_statement.create",
        "pay_statement",
        statement.id,
        _summary(statement),
    )
    return statement


def _summary(statement: PayStatement) -> dict[str, Any]:
    return {
        "contractor_id": statement.contractor_id,
        "kind": statement.kind,
        "period": f"{statement.period_start}/{statement.period_end}",
        "policy_version": statement.evidence.get("policy", {}).get("version"),
        "wage_distribution_id": statement.evidence.get("wage_distribution", {}).get("id"),
    }


def _require_draft(statement: PayStatement) -> None:
    if statement.status == "final":
        raise Conflict(
            f"statement {statement.id} is final and never changes; corrections are new "
            "adjusting statements (POST /pay-statements/{id}/adjust)",
            code="statement_final",
        )


def _paid_lines(session: Session, original: PayStatement) -> list[PayLine]:
    """Lines of a final statement and of its final adjustments."""
    adjustments = session.scalars(
        select(PayStatement).where(
            PayStatement.adjusts_statement_id == original.id, PayStatement.status == "final"
        )
    ).all()
    return [line for s in (original, *adjustments) for line in _lines(s)]


def _recompute(session: Session, statement: PayStatement) -> tuple[Basis, list[PayLine]]:
    """What a draft would hold if calculated now."""
    first_day, last_day = statement.period_start, statement.period_end
    contractor = get_contractor(session, statement.contractor_id)
    if statement.kind == "regular":
        basis = Basis.current(session, contractor, first_day)
        return basis, list(_calculate(session, contractor.id, basis, first_day, last_day).lines)
    assert statement.adjusts_statement_id is not None
    original = get_statement(session, statement.adjusts_statement_id)
    if statement.evidence.get("repriced"):
        basis = Basis.current(session, contractor, first_day)
        if basis.currency != original.currency:
            raise Conflict(
                f"statement {original.id} was paid in {original.currency}; the contractor is "
                f"now paid in {basis.currency}",
                code="currency_changed",
            )
    else:
        basis = Basis.recorded(original)
    calculation = _calculate(session, contractor.id, basis, first_day, last_day)
    return basis, list(
        difference(calculation.lines, _paid_lines(session, original), basis.currency)
    )


def recalculate_statement(session: Session, statement_id: int) -> PayStatement:
    """Recalculate a draft from the shifts, policy and wages as they are now."""
    statement = get_statement(session, statement_id)
    _require_draft(statement)
    basis, lines = _recompute(session, statement)
    _store(session, statement, basis, lines, _adjustment_evidence(statement))
    audit.record(
        session, "pay_statement.recalculate", "pay_statement", statement.id, _summary(statement)
    )
    return statement


def _adjustment_evidence(statement: PayStatement) -> dict[str, Any]:
    if statement.kind != "adjustment":
        return {}
    return {"repriced": bool(statement.evidence.get("repriced"))}


def _line_tuple(line: PayLine) -> tuple[Any, ...]:
    return (line.work_date, line.kind, line.detail, line.seconds, line.percent, line.amount)


def finalize_statement(session: Session, statement_id: int) -> PayStatement:
    """Freeze a draft. Its period must be over, and it must still be what a calculation
    now gives (else 409: recalculate and check it first)."""
    statement = get_statement(session, statement_id)
    if statement.status == "final":
        raise Conflict(f"statement {statement.id} is final already", code="statement_final")
    tz = load_zone(statement.evidence["timezone"])
    if utcnow() < local_day_bounds(statement.period_end, tz)[1]:
        raise Conflict(
            f"the period ends on {statement.period_end} (local time) and is not over yet",
            code="period_not_ended",
        )
    basis, lines = _recompute(session, statement)
    stale = (
        [_line_tuple(line) for line in lines] != [_line_tuple(line) for line in _lines(statement)]
        or basis.base_rate != statement.base_hourly_rate
        or basis.evidence.get("policy") != statement.evidence.get("policy")
        or basis.evidence.get("wage_distribution") != statement.evidence.get("wage_distribution")
    )
    if stale:
        raise Conflict(
            f"statement {statement.id} no longer matches its shifts, policy or wages; "
            "recalculate it, check it, then finalize",
            code="statement_stale",
        )
    statement.status = "final"
    statement.finalized_at = utcnow()
    statement.finalized_by_token_id = audit.current_actor().token_id
    session.flush()
    audit.record(
        session, "pay_statement.finalize", "pay_statement", statement.id, _summary(statement)
    )
    notify_once(
        session,
        kind="pay.statement_final",
        audience="contractor",
        dedupe_key=f"pay_statement:{statement.id}:final",
        payload={
            "statement_id": statement.id,
            "period_start": statement.period_start.isoformat(),
            "period_end": statement.period_end.isoformat(),
        },
        contractor_id=statement.contractor_id,
    )
    return statement


def delete_statement(session: Session, statement_id: int) -> None:
    """Discard a draft (a final statement is never deleted)."""
    statement = get_statement(session, statement_id)
    _require_draft(statement)
    summary = _summary(statement)
    session.delete(statement)
    session.flush()
    audit.record(session, "pay_statement.delete", "pay_statement", statement_id, summary)


def adjust_statement(session: Session, statement_id: int, *, reprice: bool = False) -> PayStatement:
    """A draft adjusting statement for a final regular statement's period: what the
    period's shifts pay now minus what was paid (the original and its final adjustments).

    By default it keeps the original's rate, policy and calendar, so it corrects the
    shifts only; ``reprice`` uses today's policy and wage distribution instead.
    """
    original = get_statement(session, statement_id)
    if original.kind != "regular":
        raise Conflict(
            f"statement {original.id} is an adjustment; adjust statement "
            f"{original.adjusts_statement_id} instead",
            code="adjust_the_original",
        )
    if original.status != "final":
        raise Conflict(
            f"statement {original.id} is a draft; recalculate it instead",
            code="statement_not_final",
        )
    pending = session.scalar(
        select(PayStatement.id).where(
            PayStatement.adjusts_statement_id == original.id, PayStatement.status == "draft"
        )
    )
    if pending is not None:
        raise Conflict(
            f"adjustment {pending} of statement {original.id} is still a draft; "
            "finalize or delete it first",
            code="adjustment_pending",
            extra={"statement_id": pending},
        )
    statement = PayStatement(
        contractor_id=original.contractor_id,
        kind="adjustment",
        adjusts_statement_id=original.id,
        status="draft",
        period_start=original.period_start,
        period_end=original.period_end,
        currency=original.currency,
        base_hourly_rate=original.base_hourly_rate,
        total=original.total,
        reporting_currency=original.reporting_currency,
        evidence={"repriced": reprice},
        created_by_token_id=audit.current_actor().token_id,
    )
    basis, lines = _recompute(session, statement)
    if not lines:
        raise Conflict(
            f"the shifts of statement {original.id}'s period pay exactly what was paid; "
            "there is nothing to adjust",
            code="nothing_to_adjust",
        )
    session.add(statement)
    _store(session, statement, basis, lines, {"repriced": reprice})
    audit.record(
        session,
        "pay_statement.adjust",
        "pay_statement",
        statement.id,
        {**_summary(statement), "adjusts_statement_id": original.id, "repriced": reprice},
    )
    return statement
