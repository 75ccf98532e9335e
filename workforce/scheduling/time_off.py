"""Time off: a contractor asks, ops approve or reject, and approved leave blocks shifts.

A request covers local dates ``starts_on``..``ends_on`` (inclusive) in the contractor's
zone, of kind ``vacation``, ``sick``, ``personal`` or ``wellbeing``; no kind needs a note.
It may not overlap another pending or approved request of the same contractor (409
``time_off_overlap``). A pending request can be cancelled by its contractor, approved or
rejected by ops (``time_off_not_pending`` otherwise).

Approval turns the contractor's scheduled shifts that touch the range into ``needs_cover``
(:func:`workforce.scheduling.needs_cover.release_for_cover`); from then on
:func:`require_not_on_leave`, run by :func:`workforce.scheduling.enforcement.enforce`, refuses
any shift touching the range with 409 ``on_leave``, which no override lifts. Whether a
shift touches approved leave is decided in one place, :func:`clash` (over the requests
:func:`approved_near` loads), for enforcement, the cover finder (:func:`on_leave`) and the
open shifts a contractor is offered.

``wellbeing`` leave is the contractor's own business: ops see it as kind ``time_off`` with
no note (:func:`for_ops`), and audit rows and notices only ever carry :func:`public_kind`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.notifications.services import notify_once
from workforce.scheduling.models import TIME_OFF_KINDS, TIME_OFF_STATUSES, TimeOffRequest
from workforce.scheduling.needs_cover import release_for_cover
from workforce.scheduling.rules import Interval
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_day_bounds

__all__ = [
    "MAX_DAYS",
    "ON_LEAVE",
    "TIME_OFF_KINDS",
    "TIME_OFF_STATUSES",
    "approve",
    "approved_near",
    "cancel",
    "clash",
    "for_contractor",
    "for_ops",
    "get_request",
    "list_query",
    "on_leave",
    "public_kind",
    "reject",
    "request_time_off",
    "require_not_on_leave",
]

ON_LEAVE = "on_leave"
#: The longest range one request may cover, in days.
MAX_DAYS = 366
#: Requests that hold their dates: a new request may not overlap them.
HOLDING = ("pending", "approved")
_FIRST = dt.date(2000, 1, 1)
_LAST = dt.date(2099, 12, 31)


def public_kind(kind: str) -> str:
    """The kind anyone but the contractor sees: ``wellbeing`` is plain ``time_off``."""
    return "time_off" if kind == "wellbeing" else kind


def for_contractor(request: TimeOffRequest) -> dict[str, Any]:
    """The request as its contractor sees it: their own kind and note."""
    return _view(request, request.kind, request.note)


def for_ops(request: TimeOffRequest) -> dict[str, Any]:
    """The request as ops see it: ``wellbeing`` is ``time_off`` and its note is hidden."""
    hidden = request.kind == "wellbeing"
    return _view(request, public_kind(request.kind), None if hidden else request.note)


def _view(request: TimeOffRequest, kind: str, note: str | None) -> dict[str, Any]:
    return {
        "id": request.id,
        "contractor_id": request.contractor_id,
        "starts_on": request.starts_on,
        "ends_on": request.ends_on,
        "kind": kind,
        "note": note,
        "status": request.status,
        "comment": request.comment,
        "decided_at": request.decided_at,
        "shifts_released": request.shifts_released,
        "created_at": request.created_at,
    }


def _summary(request: TimeOffRequest) -> dict[str, Any]:
    # never the note, never "wellbeing"
    return {
        "contractor_id": request.contractor_id,
        "starts_on": request.starts_on.isoformat(),
        "ends_on": request.ends_on.isoformat(),
        "kind": public_kind(request.kind),
    }


def range_bounds(request: TimeOffRequest, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The request's local dates as UTC instants ``[start of starts_on, end of ends_on)``."""
    return local_day_bounds(request.starts_on, tz)[0], local_day_bounds(request.ends_on, tz)[1]


def _validate(starts_on: dt.date, ends_on: dt.date) -> None:
    for field, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not _FIRST <= day <= _LAST:
            raise InvalidInput.field(field, "must be between 2000-01-01 and 2099-12-31")
    if ends_on < starts_on:
        raise InvalidInput.field("ends_on", "must be on or after starts_on")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise InvalidInput.field("ends_on", f"one request covers at most {MAX_DAYS} days")


def request_time_off(
    session: Session, contractor: Contractor, data: Mapping[str, Any]
) -> TimeOffRequest:
    """A contractor's new request, ``pending``; ops hear of it (without kind details)."""
    starts_on: dt.date = data["starts_on"]
    ends_on: dt.date = data["ends_on"]
    _validate(starts_on, ends_on)
    overlapping = session.scalar(
        select(TimeOffRequest.id)
        .where(
            TimeOffRequest.contractor_id == contractor.id,
            TimeOffRequest.status.in_(HOLDING),
            TimeOffRequest.starts_on <= ends_on,
            TimeOffRequest.ends_on >= starts_on,
        )
        .order_by(TimeOffRequest.starts_on)
        .limit(1)
    )
    if overlapping is not None:
        raise Conflict(
            f"the dates overlap time-off request {overlapping}",
            code="time_off_overlap",
            extra={"time_off_id": overlapping},
        )
    request = TimeOffRequest(
        contractor_id=contractor.id,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=data["kind"],
        note=data.get("note") or None,
        status="pending",
        shifts_released=0,
    )
    session.add(request)
    session.flush()
    audit.record(session, "time_off.request", "time_off", request.id, _summary(request))
    notify_once(
        session,
        kind="time_off.requested",
        audience="ops",
        dedupe_key=f"time_off:{request.id}:requested",
        payload={"time_off_id": request.id, **_summary(request)},
        contractor_id=contractor.id,
    )
    return request


def get_request(
    session: Session, request_id: int, contractor_id: int | None = None
) -> TimeOffRequest:
    """One request (of ``contractor_id`` when given: another's is a 404), locked."""
    request = session.scalars(
        select(TimeOffRequest).where(TimeOffRequest.id == request_id).with_for_update()
    ).one_or_none()
    if request is None or (contractor_id is not None and request.contractor_id != contractor_id):
        raise NotFound(f"time-off request {request_id} does not exist")
    return request


def list_query(contractor_id: int | None = None, status: str | None = None) -> Select[Any]:
    """Requests, earliest dates first (then newest request first)."""
    stmt = select(TimeOffRequest)
    if contractor_id is not None:
        stmt = stmt.where(TimeOffRequest.contractor_id == contractor_id)
    if status is not None:
        stmt = stmt.where(TimeOffRequest.status == status)
    return stmt.order_by(TimeOffRequest.starts_on, TimeOffRequest.id.desc())


def _require_pending(request: TimeOffRequest) -> None:
    if request.status != "pending":
        raise Conflict(
            f"time-off request {request.id} is {request.status}, not pending",
            code="time_off_not_pending",
        )


def cancel(session: Session, contractor_id: int, request_id: int) -> TimeOffRequest:
    """The contractor withdraws a pending request."""
    request = get_request(session, request_id, contractor_id)
    _require_pending(request)
    request.status = "cancelled"
    request.decided_at = utcnow()
    session.flush()
    audit.record(session, "time_off.cancel", "time_off", request.id, _summary(request))
    return request


def _decide(session: Session, request: TimeOffRequest, status: str, comment: str | None) -> None:
    request.status = status
    request.comment = comment
    request.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        f"time_off.{'approve' if status == 'approved' else 'reject'}",
        "time_off",
        request.id,
        {**_summary(request), "shifts_released": request.shifts_released},
    )
    notify_once(
        session,
        kind=f"time_off.{status}",
        audience="contractor",
        dedupe_key=f"time_off:{request.id}:{status}",
        payload={
            "time_off_id": request.id,
            "starts_on": request.starts_on.isoformat(),
            "ends_on": request.ends_on.isoformat(),
            "comment": comment or "",
        },
        contractor_id=request.contractor_id,
    )


def approve(session: Session, request_id: int, comment: str | None) -> TimeOffRequest:
    """Approve a pending request: the contractor's scheduled shifts touching its dates are
    cancelled and flagged ``needs_cover``; the contractor is told."""
    request = get_request(session, request_id)
    _require_pending(request)
    contractor = session.scalars(
        select(Contractor).where(Contractor.id == request.contractor_id).with_for_update()
    ).one()
    lo, hi = range_bounds(request, load_zone(contractor.timezone))
    shifts = session.scalars(
        select(Shift)
        .where(
            Shift.contractor_id == contractor.id,
            Shift.status == "scheduled",
            Shift.starts_at < hi,
            Shift.ends_at > lo,
        )
        .order_by(Shift.starts_at)
        .with_for_update()
    ).all()
    for shift in shifts:
        release_for_cover(
            session,
            shift,
            cause=f"time off {request.id}",
            action="shift.time_off_cancelled",
            summary={
                "contractor_id": contractor.id,
                "time_off_id": request.id,
                "shift_id": shift.id,
                "queue_id": shift.queue_id,
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
            },
            dedupe_prefix=f"time_off:{request.id}",
        )
    request.shifts_released = len(shifts)
    _decide(session, request, "approved", comment)
    return request


def reject(session: Session, request_id: int, comment: str) -> TimeOffRequest:
    """Reject a pending request, saying why; the contractor is told."""
    request = get_request(session, request_id)
    _require_pending(request)
    _decide(session, request, "rejected", comment)
    return request


def approved_near(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    contractor_ids: Collection[int] | None = None,
) -> list[TimeOffRequest]:
    """Approved requests (of ``contractor_ids``, or everyone's) whose local dates may touch
    ``[start, end)`` in any zone (local dates lie within a day of the UTC ones), in one
    query, earliest first; :func:`clash` decides in the contractor's zone."""
    lo = start.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    hi = end.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    stmt = select(TimeOffRequest).where(
        TimeOffRequest.status == "approved",
        TimeOffRequest.starts_on <= hi,
        TimeOffRequest.ends_on >= lo,
    )
    if contractor_ids is not None:
        stmt = stmt.where(TimeOffRequest.contractor_id.in_(list(contractor_ids)))
    return list(session.scalars(stmt.order_by(TimeOffRequest.starts_on, TimeOffRequest.id)))


def clash(
    requests: Iterable[TimeOffRequest], tz: dt.tzinfo, candidates: Sequence[Interval]
) -> tuple[TimeOffRequest, Interval] | None:
    """The first request whose local dates (in ``tz``) touch a candidate, with that
    candidate; None when none does. The one overlap test of time off."""
    for request in requests:
        leave_start, leave_end = range_bounds(request, tz)
        for candidate in candidates:
            if candidate.start < leave_end and leave_start < candidate.end:
                return request, candidate
    return None


def on_leave(
    session: Session, zones: Mapping[int, dt.tzinfo], start: dt.datetime, end: dt.datetime
) -> set[int]:
    """Who of ``zones`` (contractor id to zone) has approved time off touching
    ``[start, end)``: one query for everyone (the cover finder)."""
    away = set()
    for request in approved_near(session, start, end):
        zone = zones.get(request.contractor_id)
        if zone is not None and clash([request], zone, [Interval(start, end)]) is not None:
            away.add(request.contractor_id)
    return away


def require_not_on_leave(
    session: Session, contractor: Contractor, candidates: list[Interval], tz: dt.tzinfo
) -> None:
    """409 ``on_leave`` when a candidate touches approved time off (never overridable)."""
    requests = approved_near(
        session,
        min(c.start for c in candidates),
        max(c.end for c in candidates),
        [contractor.id],
    )
    found = clash(requests, tz, candidates)
    if found is not None:
        request, candidate = found
        raise Conflict(
            f"contractor {contractor.id} is on approved time off from "
            f"{request.starts_on.isoformat()} to {request.ends_on.isoformat()}",
            code=ON_LEAVE,
            extra={
                "time_off_id": request.id,
                "time_off_starts_on": request.starts_on.isoformat(),
                "time_off_ends_on": request.ends_on.isoformat(),
                "starts_at": candidate.start.isoformat(),
            },
        )
