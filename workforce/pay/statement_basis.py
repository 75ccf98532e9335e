"""What a statement's numbers are calculated from: its basis (rate, terms, zone) and the
worked intervals of the contractor's completed shifts.

The line items themselves are :func:`workforce.pay.statements.calculate`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.errors import Conflict
from workforce.holidays import holiday_lookup, holiday_scope
from workforce.pay import labels
from workforce.pay.models import PayStatement
from workforce.pay.rates import rate_for
from workforce.pay.statements import Calculation, WorkedInterval, calculate, seconds_by_queue
from workforce.pay.terms import PolicyTerms
from workforce.queues.models import Queue
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_day_bounds, local_week_start


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
            WorkedInterval(
                shift.clock_in_at, shift.clock_out_at, tier, codes, shift.id, shift.queue_id
            )
        )
    return intervals


def calculate_period(
    session: Session,
    contractor_id: int,
    basis: Basis,
    first_day: dt.date,
    last_day: dt.date,
) -> Calculation:
    """The line items of the local days ``first_day`` … ``last_day`` on ``basis``."""
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


def line_queues(
    session: Session, statement: PayStatement
) -> dict[tuple[dt.date, str, str], dict[int | None, int]]:
    """The seconds of each of the statement's line keys per queue, from its contractor's
    shifts as they are now on the basis it was calculated on. Empty when they cannot be
    read (a shift still in progress or unclocked): the report then attributes nothing."""
    basis = Basis.recorded(statement)
    try:
        intervals = worked_intervals(
            session,
            statement.contractor_id,
            basis.timezone,
            statement.period_start,
            statement.period_end,
        )
    except Conflict:
        return {}
    return seconds_by_queue(
        intervals,
        first_day=statement.period_start,
        last_day=statement.period_end,
        tz=load_zone(basis.timezone),
        premiums=basis.terms.premiums_for(basis.country),
        holidays=holiday_lookup(basis.country, basis.subdivision, labels.STORED_HOLIDAY_LOCALE),
    )
