"""Pay statements from draft to final: create, recalculate, finalize, delete, adjust; and
finding them.

A draft is recalculated at will; a final statement never changes, and corrections are new
adjusting statements. What the numbers come from is :mod:`workforce.pay.statement_basis`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.services import get_contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.identity import access
from workforce.money import round_money
from workforce.notifications.services import notify_once
from workforce.pay.exchange_rates import convert
from workforce.pay.inputs import MAX_YEAR, MIN_YEAR, currency_code
from workforce.pay.models import PayStatement, PayStatementLine
from workforce.pay.statement_basis import Basis, calculate_period
from workforce.pay.statements import PayLine, difference
from workforce.timeutil import load_zone, local_day_bounds

#: A statement covers at most this many local days (two months, whatever their length).
MAX_PERIOD_DAYS = 62


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


def get_statement(session: Session, statement_id: int) -> PayStatement:
    statement = session.get(PayStatement, statement_id)
    if statement is None:
        raise NotFound(f"pay statement {statement_id} does not exist")
    return statement


def visible_statement(session: Session, statement_id: int) -> PayStatement:
    """The statement as the current principal may see it: a contractor sees only their
    own final statements; anything else is a 404."""
    statement = get_statement(session, statement_id)
    principal = access.principal()
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
    calculation = calculate_period(session, contractor.id, basis, first_day, last_day)
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
        calculation = calculate_period(session, contractor.id, basis, first_day, last_day)
        return basis, list(calculation.lines)
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
    calculation = calculate_period(session, contractor.id, basis, first_day, last_day)
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
