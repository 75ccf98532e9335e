"""Reading shifts: one by id, lists by filter, and the open shifts a contractor may claim."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.eligibility import check as eligibility
from workforce.errors import NotFound
from workforce.queues.models import Queue
from workforce.scheduling.enforcement import MAX_SHIFT
from workforce.shifts.models import Shift

__all__ = ["get_shift", "open_shifts_query", "shifts_query"]


def get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} does not exist")
    return shift


def shifts_query(
    *,
    contractor_id: int | None = None,
    queue_id: int | None = None,
    status: str | None = None,
    open_only: bool | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Select[tuple[Shift]]:
    """Shifts overlapping ``[start, end)`` (either may be None), oldest first."""
    stmt = select(Shift).order_by(Shift.starts_at, Shift.id)
    if contractor_id is not None:
        stmt = stmt.where(Shift.contractor_id == contractor_id)
    if queue_id is not None:
        stmt = stmt.where(Shift.queue_id == queue_id)
    if status is not None:
        stmt = stmt.where(Shift.status == status)
    if open_only is True:
        stmt = stmt.where(Shift.contractor_id.is_(None))
    elif open_only is False:
        stmt = stmt.where(Shift.contractor_id.is_not(None))
    if start is not None:
        stmt = stmt.where(Shift.ends_at > start, Shift.starts_at >= start - MAX_SHIFT)
    if end is not None:
        stmt = stmt.where(Shift.starts_at < end)
    return stmt


def open_shifts_query(
    session: Session, contractor_id: int, now: dt.datetime | None = None
) -> Select[tuple[Shift]]:
    """Future open shifts on queues the contractor is eligible for now (a claim checks
    again at the shift's start, with the rules)."""
    now = now or utcnow()
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound(f"contractor {contractor_id} does not exist")
    queue_ids = session.scalars(
        select(Shift.queue_id)
        .distinct()
        .where(Shift.contractor_id.is_(None), Shift.status == "scheduled", Shift.starts_at > now)
    ).all()
    eligible = [
        queue.id
        for queue in session.scalars(select(Queue).where(Queue.id.in_(queue_ids)))
        if eligibility.check(session, contractor, queue, now).eligible
    ]
    return (
        select(Shift)
        .where(
            Shift.contractor_id.is_(None),
            Shift.status == "scheduled",
            Shift.starts_at > now,
            Shift.queue_id.in_(eligible),
        )
        .order_by(Shift.starts_at, Shift.id)
    )
