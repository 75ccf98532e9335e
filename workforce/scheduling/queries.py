"""Reading shifts: one by id, lists by filter, and the open shifts a contractor may claim.

An open shift is offered to a contractor (:func:`takeable_open_shift_ids`) only when a
claim could pass the checks that do not depend on other shifts: eligibility for its queue
now, their weekly availability and their approved time off, each by the function
:func:`~workforce.scheduling.enforcement.enforce` itself calls
(:func:`~workforce.scheduling.availability.availability_breaches`,
:func:`~workforce.scheduling.time_off.clash`), in their zone, so across DST too. The hour
rules are left to the claim, which re-checks everything at the shift's start.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.eligibility import check as eligibility
from workforce.errors import NotFound
from workforce.queues.models import Queue
from workforce.scheduling import time_off
from workforce.scheduling.availability import availability_breaches, get_windows
from workforce.scheduling.enforcement import MAX_SHIFT
from workforce.scheduling.rules import Interval
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone

__all__ = ["get_shift", "open_shifts_query", "shifts_query", "takeable_open_shift_ids"]


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


def takeable_open_shift_ids(
    session: Session, contractor_id: int, now: dt.datetime | None = None
) -> list[int]:
    """The ids of :func:`open_shifts_query`'s shifts that lie inside the contractor's
    availability and touch none of their approved time off, earliest first."""
    stmt = open_shifts_query(session, contractor_id, now)
    spans = session.execute(stmt.with_only_columns(Shift.id, Shift.starts_at, Shift.ends_at)).all()
    if not spans:
        return []
    contractor = session.get_one(Contractor, contractor_id)  # open_shifts_query found them
    tz = load_zone(contractor.timezone)
    windows = get_windows(session, contractor_id)
    leave = time_off.approved_near(
        session, min(s.starts_at for s in spans), max(s.ends_at for s in spans), [contractor_id]
    )
    takeable = []
    for shift_id, starts_at, ends_at in spans:
        candidate = Interval(starts_at, ends_at, shift_id)
        if availability_breaches(candidate, windows, tz):
            continue
        if time_off.clash(leave, tz, [candidate]) is not None:
            continue
        takeable.append(shift_id)
    return takeable
