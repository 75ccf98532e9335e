"""The figures of the pay evidence report: what final statements actually paid per hour,
against the local wage distribution. Unsuppressed: ``workforce.reports.pay`` hides the
small groups (pay cannot import reports, nor reports pay: the API puts them together).

What is counted
    Every line of every *final* statement (regular or adjusting) whose local work date
    lies in the period. Hours are the base lines' seconds (every paid second has one base
    line); a kind's pay per hour is its amount over those hours, so base plus the premiums
    is the effective hourly pay. Adjusting lines add to (or take from) what their period
    paid, as they did on the slips.

Rows
    One per group, country, year of the work date and currency: placing pay on "the local
    wage distribution of that country and year" needs one country and one year, and local
    money needs one currency. ``group_by=queue`` or ``tier`` shares each line among the
    queues worked in proportion to its seconds, from the contractor's shifts as they are now
    on the statement's own basis (:func:`workforce.pay.statement_basis.line_queues`, the
    same pieces the statement paid); seconds that cannot be attributed (a shift changed
    since, or still running) are in a row whose queue is null.

Placement
    The row's base and effective hourly pay, rounded like all pay, are placed on the
    distribution the most hours of the row were measured against (the latest of the work
    year or before, the subdivision's own when there is one: ``find_distribution``),
    converted to its period with the policy's hours per month, with
    :func:`workforce.pay.wages.percentile_of`: the interpolation rates are derived with,
    read backwards. Outside the known points there is no percentile, only a side.

Shares below
    A statement's base seconds count as paid below the target when its base hourly rate is
    below the rate the policy in force at the start of its period (as the policies stand
    now: a version may be backdated) reads off the distribution of the work year as it
    stands now, before any floor; and below the living-wage floor when the rate is below
    that policy's floor for the country. A statement paid at the target of last year's
    distribution, before this year's was imported, or under a floor since raised
    retroactively, shows up here. Seconds where neither can be measured (no distribution, a floor
    in another currency) are left out of the share's denominator.

Reporting currency
    Each statement's amounts are converted at the latest rate on or before its period's end
    (as a statement's reporting total is), rounded once per figure. A row with any statement
    that has no recent rate has no reporting figures (null), never a partial sum.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.errors import Conflict, InvalidInput
from workforce.money import round_money, to_money_string
from workforce.pay.distributions import find_distribution, percentile_points
from workforce.pay.exchange_rates import apply_rate, find_rate
from workforce.pay.inputs import currency_code
from workforce.pay.models import ExchangeRate, PayStatement, PayStatementLine, WageDistribution
from workforce.pay.policies import policy_in_force
from workforce.pay.statement_basis import line_queues
from workforce.pay.statements import LINE_KINDS
from workforce.pay.wages import (
    EXACT,
    Placement,
    derive_hourly_rate,
    divide_truncated,
    percentile_of,
)
from workforce.queues.models import Queue
from workforce.timeutil import load_zone, local_day_bounds

GROUPS = ("country", "queue", "tier")
#: A currency most compliance teams read; any ISO 4217 code may be asked for.
DEFAULT_REPORTING_CURRENCY = "USD"
_SECONDS_PER_HOUR = Decimal(3600)
_HUNDREDTH = Decimal("0.01")

METRICS = (
    "contractors",
    "statements",
    "hours",
    *(f"{kind}_hourly" for kind in LINE_KINDS),
    "effective_hourly",
    *(f"{kind}_hourly_reporting" for kind in LINE_KINDS),
    "effective_hourly_reporting",
    "base_percentile",
    "base_percentile_outside",
    "effective_percentile",
    "effective_percentile_outside",
    "target_percentile",
    "share_hours_below_target",
    "share_hours_below_floor",
    "wage_distribution_id",
    "policy_versions",
)


def keys_for(group_by: str) -> tuple[str, ...]:
    """The key columns of a row."""
    if group_by not in GROUPS:
        raise InvalidInput.field("group_by", f"must be one of {', '.join(GROUPS)}")
    return (
        ("country", "year", "currency")
        if group_by == "country"
        else (
            group_by,
            "country",
            "year",
            "currency",
        )
    )


@dataclass
class PayGroup:
    """One row's sums, before rounding."""

    key: tuple[Any, ...]
    currency: str
    contractor_ids: set[int] = field(default_factory=set)
    statement_ids: set[int] = field(default_factory=set)
    #: base seconds (shared among queues: not always whole)
    seconds: Decimal = Decimal(0)
    amounts: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys(LINE_KINDS, Decimal(0))
    )
    reporting: dict[str, Decimal] | None = field(
        default_factory=lambda: dict.fromkeys(LINE_KINDS, Decimal(0))
    )
    below_target: Decimal = Decimal(0)
    target_known: Decimal = Decimal(0)
    below_floor: Decimal = Decimal(0)
    floor_known: Decimal = Decimal(0)
    #: seconds measured against each (distribution id, hours per month, target percentile)
    measured: Counter[tuple[int, Decimal, Decimal]] = field(default_factory=Counter)
    policy_versions: set[int] = field(default_factory=set)

    @property
    def contractors(self) -> int:
        return len(self.contractor_ids)

    @property
    def hours(self) -> float:
        return float(round(self.seconds / _SECONDS_PER_HOUR, 2))

    def merge(self, other: PayGroup) -> None:
        self.contractor_ids |= other.contractor_ids
        self.statement_ids |= other.statement_ids
        self.seconds += other.seconds
        for kind in LINE_KINDS:
            self.amounts[kind] += other.amounts[kind]
        if self.reporting is not None and other.reporting is not None:
            for kind in LINE_KINDS:
                self.reporting[kind] += other.reporting[kind]
        else:
            self.reporting = None
        self.below_target += other.below_target
        self.target_known += other.target_known
        self.below_floor += other.below_floor
        self.floor_known += other.floor_known
        self.measured.update(other.measured)
        self.policy_versions |= other.policy_versions


@dataclass
class PayFigures:
    """The report's rows and total, unsuppressed, and what they were computed from."""

    group_by: str
    keys: tuple[str, ...]
    reporting_currency: str
    rows: list[PayRow]
    total: PayRow
    policy_versions: list[dict[str, Any]]
    citations: dict[str, Any]
    metrics: tuple[str, ...] = METRICS


@dataclass
class PayRow:
    key: dict[str, Any]
    contractors: int
    hours: float
    figures: dict[str, Any]

    def metrics(self) -> dict[str, Any]:
        return dict(self.figures)


class _Context:
    """Look-ups shared by the whole report, each asked once."""

    def __init__(self, session: Session, reporting: str) -> None:
        self.session = session
        self.reporting = reporting
        self.distributions: dict[tuple[str, str | None, int], WageDistribution | None] = {}
        self.targets: dict[tuple[int, Decimal, Decimal], Decimal | None] = {}
        self.rates: dict[tuple[str, dt.date], tuple[ExchangeRate, bool] | None] = {}
        self.used_rates: dict[int, ExchangeRate] = {}
        self.paid_on: dict[int, dict[str, Any]] = {}
        self.policies: dict[int, str | None] = {}
        self.queues = {
            qid: (slug, tier)
            for qid, slug, tier in session.execute(select(Queue.id, Queue.slug, Queue.tier))
        }

    def distribution(
        self, country: str, subdivision: str | None, year: int
    ) -> WageDistribution | None:
        key = (country, subdivision, year)
        if key not in self.distributions:
            try:
                self.distributions[key] = find_distribution(
                    self.session, country, subdivision, year
                )
            except Conflict:
                self.distributions[key] = None
        return self.distributions[key]

    def target(self, d: WageDistribution, hours: Decimal, percentile: Decimal) -> Decimal | None:
        """The hourly rate at the target percentile of ``d``, before any floor."""
        key = (d.id, hours, percentile)
        if key not in self.targets:
            try:
                rate = derive_hourly_rate(
                    percentile_points(d), percentile, d.period, hours, d.currency
                ).hourly_rate
            except InvalidInput:
                rate = None
            self.targets[key] = rate
        return self.targets[key]

    def rate(self, currency: str, on: dt.date) -> tuple[ExchangeRate, bool] | None:
        key = (currency, on)
        if key not in self.rates:
            try:
                found: tuple[ExchangeRate, bool] | None = find_rate(
                    self.session, currency, self.reporting, on
                )
            except Conflict:
                found = None
            self.rates[key] = found
            if found is not None:
                self.used_rates[found[0].id] = found[0]
        return self.rates[key]


def _statements(session: Session, start: dt.date, end: dt.date) -> list[PayStatement]:
    ids = select(PayStatementLine.statement_id).where(
        PayStatementLine.work_date >= start, PayStatementLine.work_date <= end
    )
    return list(
        session.scalars(
            select(PayStatement)
            .where(PayStatement.status == "final", PayStatement.id.in_(ids))
            .order_by(PayStatement.id)
        )
    )


def _group_value(group_by: str, queue_id: int | None, ctx: _Context) -> Any:
    """The queue's slug or tier; None when the seconds could not be attributed."""
    known = ctx.queues.get(queue_id) if queue_id is not None else None
    if known is None:
        return None
    return known[0] if group_by == "queue" else known[1]


def _shares(
    line: PayStatementLine, queues: dict[tuple[dt.date, str, str], dict[int | None, int]]
) -> list[tuple[int | None, Decimal]]:
    """The line's queues and each one's share of it (summing to 1)."""
    parts = queues.get((line.work_date, line.kind, line.detail or ""), {})
    total = sum(parts.values())
    if line.seconds and total == line.seconds:
        return [(qid, divide_truncated(Decimal(s), Decimal(total))) for qid, s in parts.items()]
    return [(None, Decimal(1))]


def _add_statement(
    groups: dict[tuple[Any, ...], PayGroup],
    statement: PayStatement,
    start: dt.date,
    end: dt.date,
    group_by: str,
    ctx: _Context,
) -> None:
    evidence = statement.evidence
    country, subdivision = evidence["country"], evidence.get("subdivision")
    policy = evidence.get("policy", {})
    version = int(policy.get("version", 0))
    ctx.policies.setdefault(version, policy.get("effective_from"))
    tz = load_zone(evidence["timezone"])
    now_in_force = policy_in_force(ctx.session, local_day_bounds(statement.period_start, tz)[0])
    terms = now_in_force.terms
    ctx.policies.setdefault(
        now_in_force.version,
        now_in_force.effective_from.isoformat() if now_in_force.effective_from else None,
    )
    paid_on = evidence.get("wage_distribution")
    if paid_on:
        ctx.paid_on[paid_on["id"]] = paid_on
    hours_per_month = terms.hours_per_month_for(country)
    floor = terms.floor_for(country)
    currency = statement.currency
    conversion = None if currency == ctx.reporting else ctx.rate(currency, statement.period_end)
    queues = line_queues(ctx.session, statement) if group_by != "country" else {}
    pieces: dict[tuple[Any, ...], PayGroup] = {}
    for line in statement.lines:
        if not start <= line.work_date <= end:
            continue
        year = line.work_date.year
        shares = _shares(line, queues) if group_by != "country" else [(None, Decimal(1))]
        for queue_id, share in shares:
            key: tuple[Any, ...] = (country, year, currency)
            if group_by != "country":
                key = (_group_value(group_by, queue_id, ctx), *key)
            piece = pieces.get(key)
            if piece is None:
                piece = pieces[key] = PayGroup(key=key, currency=currency)
            amount = EXACT.multiply(line.amount, share)
            piece.amounts[line.kind] += amount
            if piece.reporting is not None:
                if currency == ctx.reporting:
                    piece.reporting[line.kind] += amount
                elif conversion is None:
                    piece.reporting = None
                else:
                    piece.reporting[line.kind] += apply_rate(amount, *conversion)
            if line.kind == "base":
                piece.seconds += EXACT.multiply(Decimal(line.seconds), share)
    for key, piece in pieces.items():
        piece.contractor_ids.add(statement.contractor_id)
        piece.statement_ids.add(statement.id)
        piece.policy_versions |= {version, now_in_force.version}
        year = key[-2]
        d = ctx.distribution(country, subdivision, year)
        if d is not None and d.currency == currency:
            piece.measured[(d.id, hours_per_month, terms.target_percentile)] += int(piece.seconds)
            target = ctx.target(d, hours_per_month, terms.target_percentile)
            if target is not None:
                piece.target_known += piece.seconds
                if statement.base_hourly_rate < target:
                    piece.below_target += piece.seconds
        if floor is not None and floor.currency == currency:
            piece.floor_known += piece.seconds
            if statement.base_hourly_rate < floor.hourly:
                piece.below_floor += piece.seconds
        target_group = groups.get(key)
        if target_group is None:
            groups[key] = piece
        else:
            target_group.merge(piece)


def _per_hour(amount: Decimal, seconds: Decimal, currency: str) -> Decimal | None:
    if seconds <= 0:
        return None
    return round_money(
        divide_truncated(EXACT.multiply(amount, _SECONDS_PER_HOUR), seconds), currency
    )


def _money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else to_money_string(value, currency)


def _share(part: Decimal, whole: Decimal) -> float | None:
    if whole <= 0:
        return None
    return float(round(divide_truncated(part, whole), 4))


def _place(
    hourly: Decimal | None, d: WageDistribution | None, hours_per_month: Decimal
) -> Placement | None:
    if hourly is None or d is None:
        return None
    value = hourly if d.period == "hour" else EXACT.multiply(hourly, hours_per_month)
    return percentile_of(percentile_points(d), value)


def _percentile(placement: Placement | None) -> str | None:
    if placement is None or placement.percentile is None:
        return None
    return f"{placement.percentile.quantize(_HUNDREDTH):f}"


def _row(group: PayGroup, keys: dict[str, Any], ctx: _Context, local: bool) -> PayRow:
    """Figures of one group; ``local``: its money is in one currency."""
    currency, reporting = group.currency, ctx.reporting
    out: dict[str, Any] = {
        "contractors": group.contractors,
        "statements": len(group.statement_ids),
        "hours": group.hours,
    }
    hourly = {
        kind: _per_hour(group.amounts[kind], group.seconds, currency) if local else None
        for kind in LINE_KINDS
    }
    effective = (
        _per_hour(sum(group.amounts.values(), Decimal(0)), group.seconds, currency)
        if local
        else None
    )
    for kind in LINE_KINDS:
        out[f"{kind}_hourly"] = _money(hourly[kind], currency)
    out["effective_hourly"] = _money(effective, currency)
    converted = group.reporting
    for kind in LINE_KINDS:
        value = None if converted is None else _per_hour(converted[kind], group.seconds, reporting)
        out[f"{kind}_hourly_reporting"] = _money(value, reporting)
    total_reporting = (
        None
        if converted is None
        else _per_hour(sum(converted.values(), Decimal(0)), group.seconds, reporting)
    )
    out["effective_hourly_reporting"] = _money(total_reporting, reporting)
    measured = (
        min(group.measured.items(), key=lambda item: (-item[1], item[0]))[0]
        if group.measured and local
        else None
    )
    d = ctx.session.get(WageDistribution, measured[0]) if measured else None
    hours_per_month = measured[1] if measured else Decimal(0)
    base_place = _place(hourly["base"], d, hours_per_month)
    effective_place = _place(effective, d, hours_per_month)
    out["base_percentile"] = _percentile(base_place)
    out["base_percentile_outside"] = base_place.outside if base_place else None
    out["effective_percentile"] = _percentile(effective_place)
    out["effective_percentile_outside"] = effective_place.outside if effective_place else None
    out["target_percentile"] = f"{measured[2]:f}" if measured else None
    out["share_hours_below_target"] = _share(group.below_target, group.target_known)
    out["share_hours_below_floor"] = _share(group.below_floor, group.floor_known)
    out["wage_distribution_id"] = d.id if d else None
    out["policy_versions"] = sorted(group.policy_versions)
    return PayRow(keys, group.contractors, group.hours, out)


def pay_figures(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    group_by: str = "country",
    reporting_currency: str | None = None,
) -> PayFigures:
    """Per group, what final statements paid per hour in the local days ``start`` …
    ``end``, and where it stands on the local wage distribution (module docstring)."""
    keys = keys_for(group_by)
    reporting = currency_code(
        reporting_currency or DEFAULT_REPORTING_CURRENCY, "reporting_currency"
    )
    ctx = _Context(session, reporting)
    groups: dict[tuple[Any, ...], PayGroup] = {}
    for statement in _statements(session, start, end):
        _add_statement(groups, statement, start, end, group_by, ctx)
    ordered = [groups[key] for key in sorted(groups, key=lambda key: tuple(map(str, key)))]
    rows = [_row(g, dict(zip(keys, g.key, strict=True)), ctx, True) for g in ordered]
    total = PayGroup(key=(), currency=ordered[0].currency if ordered else reporting)
    for group in ordered:
        total.merge(group)
    one_currency = len({g.currency for g in ordered}) == 1
    total_row = _row(total, {}, ctx, one_currency)
    if (
        not one_currency
        or len({g.measured.most_common(1)[0][0][0] for g in ordered if g.measured}) > 1
    ):
        for name in ("base", "effective"):
            total_row.figures[f"{name}_percentile"] = None
            total_row.figures[f"{name}_percentile_outside"] = None
        total_row.figures["wage_distribution_id"] = None
        total_row.figures["target_percentile"] = None
    placed = sorted({row.figures["wage_distribution_id"] for row in rows} - {None})
    citations = {
        "reporting_currency": reporting,
        "wage_distributions": [session.get_one(WageDistribution, i).evidence() for i in placed],
        "wage_distributions_paid_on": [
            {k: v for k, v in ctx.paid_on[i].items() if k != "percentiles"}
            for i in sorted(ctx.paid_on)
        ],
        "exchange_rates": [
            {
                "id": row.id,
                "base": row.base,
                "quote": row.quote,
                "rate": f"{row.rate.normalize():f}",
                "date": row.on_date.isoformat(),
                "source": row.source,
            }
            for _id, row in sorted(ctx.used_rates.items())
        ],
    }
    policy_versions = [
        {"version": v, "effective_from": ctx.policies[v]} for v in sorted(ctx.policies)
    ]
    return PayFigures(group_by, keys, reporting, rows, total_row, policy_versions, citations)
