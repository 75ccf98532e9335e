"""Worked time: clock in and out, ops' corrections, and marking no-shows as missed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput
from workforce.notifications.services import notify_once
from workforce.scheduling.enforcement import EARLIEST
from workforce.scheduling.queries import get_shift
from workforce.shifts.models import Shift
from workforce.timeutil import require_aware

__all__ = [
    "CLOCK_IN_EARLY",
    "MISSED_GRACE",
    "clock_in",
    "clock_out",
    "correct_times",
    "mark_missed_shifts",
]

#: A contractor may clock in this long before the planned start (setting up, handover).
CLOCK_IN_EARLY = dt.timedelta(hours=1)
#: A shift with no clock-in this long after its planned start is marked ``missed``. Half an
#: hour absorbs a slow login or a late bus without hiding a no-show from ops for long. A
#: late clock-in before the shift ends still turns a missed shift into ``in_progress``.
MISSED_GRACE = dt.timedelta(minutes=30)


def _assigned(shift: Shift) -> int:
    if shift.contractor_id is None:
        raise Conflict("the shift has no contractor", code="shift_unassigned")
    return shift.contractor_id


def clock_in(
    session: Session, shift_id: int, *, on_behalf: bool, now: dt.datetime | None = None
) -> Shift:
    """Start the worked time. From ``CLOCK_IN_EARLY`` before the start until the planned
    end; a shift already marked missed may still be clocked into (a late start)."""
    now = now or utcnow()
    shift = get_shift(session, shift_id)
    contractor_id = _assigned(shift)
    if shift.status not in ("scheduled", "missed"):
        raise Conflict(
            f"a {shift.status} shift cannot be clocked into",
            code="already_clocked_in" if shift.status == "in_progress" else "shift_not_open",
        )
    if now < shift.starts_at - CLOCK_IN_EARLY:
        raise Conflict(
            f"clock-in opens {int(CLOCK_IN_EARLY.total_seconds() // 60)} minutes before the shift",
            code="clock_in_too_early",
        )
    if now >= shift.ends_at:
        raise Conflict(
            "the shift is over; ops can record its times with a correction",
            code="shift_over",
        )
    was = shift.status
    shift.clock_in_at = now
    shift.status = "in_progress"
    session.flush()
    late = max(now - shift.starts_at, dt.timedelta(0))
    audit.record(
        session,
        "shift.clock_in",
        "shift",
        shift.id,
        {
            "contractor_id": contractor_id,
            "on_behalf": on_behalf,
            "late_minutes": int(late.total_seconds() // 60),
            "was": was,
        },
    )
    return shift


def clock_out(
    session: Session, shift_id: int, *, on_behalf: bool, now: dt.datetime | None = None
) -> Shift:
    """End the worked time of a shift that was clocked into."""
    now = now or utcnow()
    shift = get_shift(session, shift_id)
    contractor_id = _assigned(shift)
    if shift.status != "in_progress" or shift.clock_in_at is None:
        raise Conflict("clock in before clocking out", code="not_clocked_in")
    if now <= shift.clock_in_at:
        raise Conflict("clock-out must come after clock-in", code="not_clocked_in")
    shift.clock_out_at = now
    shift.status = "completed"
    session.flush()
    audit.record(
        session,
        "shift.clock_out",
        "shift",
        shift.id,
        {"contractor_id": contractor_id, "on_behalf": on_behalf},
    )
    return shift


_UNSET: Any = object()


def correct_times(
    session: Session,
    shift_id: int,
    *,
    clock_in_at: dt.datetime | None = _UNSET,
    clock_out_at: dt.datetime | None = _UNSET,
    reason: str,
    now: dt.datetime | None = None,
) -> Shift:
    """Ops correct the recorded clock-in and/or clock-out, saying why. The status follows
    the times: both → completed, only clock-in → in_progress, none → scheduled or missed."""
    now = now or utcnow()
    shift = get_shift(session, shift_id)
    _assigned(shift)
    if shift.status == "cancelled":
        raise Conflict("a cancelled shift has no times to correct", code="shift_not_open")
    if clock_in_at is _UNSET and clock_out_at is _UNSET:
        raise InvalidInput.field("_schema", "give clock_in_at, clock_out_at or both")
    new_in = shift.clock_in_at if clock_in_at is _UNSET else clock_in_at
    new_out = shift.clock_out_at if clock_out_at is _UNSET else clock_out_at
    for field, value in (("clock_in_at", new_in), ("clock_out_at", new_out)):
        if value is not None:
            moment = require_aware(value, field)
            if moment > now:
                raise InvalidInput.field(field, "a recorded time cannot be in the future")
            if moment < EARLIEST:
                raise InvalidInput.field(field, "must be after 2000-01-01")
    if new_in is None and new_out is not None:
        raise InvalidInput.field("clock_out_at", "a clock-out needs a clock-in")
    if new_in is not None and new_out is not None and new_out <= new_in:
        raise InvalidInput.field("clock_out_at", "must be after clock_in_at")
    before = {
        "clock_in_at": shift.clock_in_at.isoformat() if shift.clock_in_at else None,
        "clock_out_at": shift.clock_out_at.isoformat() if shift.clock_out_at else None,
        "status": shift.status,
    }
    shift.clock_in_at = new_in
    shift.clock_out_at = new_out
    if new_in is not None:
        shift.status = "completed" if new_out is not None else "in_progress"
    else:
        shift.status = "missed" if shift.starts_at + MISSED_GRACE <= now else "scheduled"
    shift.correction_reason = reason
    shift.corrected_at = now
    session.flush()
    audit.record(
        session,
        "shift.correct",
        "shift",
        shift.id,
        {
            "contractor_id": shift.contractor_id,
            "reason": reason,
            "before": before,
            "after": {
                "clock_in_at": new_in.isoformat() if new_in else None,
                "clock_out_at": new_out.isoformat() if new_out else None,
                "status": shift.status,
            },
        },
    )
    return shift


# --- the missed-shift job ----------------------------------------------------------------


def mark_missed_shifts(session: Session, now: dt.datetime) -> dict[str, int]:
    """Mark assigned, scheduled shifts with no clock-in ``MISSED_GRACE`` after their start
    as ``missed``, and tell ops once per shift. Idempotent: a marked shift is no longer
    ``scheduled``, and the notice's dedupe key is the shift."""
    cutoff = now - MISSED_GRACE
    due = session.execute(
        select(Shift.id, Shift.contractor_id, Shift.starts_at)
        .where(
            Shift.status == "scheduled",
            Shift.starts_at <= cutoff,
            Shift.contractor_id.is_not(None),
            Shift.clock_in_at.is_(None),
        )
        .order_by(Shift.id)
    ).all()
    if not due:
        return {"missed": 0}
    ids = [row.id for row in due]
    session.execute(
        update(Shift)
        .where(Shift.id.in_(ids), Shift.status == "scheduled", Shift.clock_in_at.is_(None))
        .values(status="missed", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for row in due:
        audit.record(
            session,
            "shift.missed",
            "shift",
            row.id,
            {"contractor_id": row.contractor_id, "grace_minutes": MISSED_GRACE.seconds // 60},
            actor=audit.SYSTEM,
        )
        notify_once(
            session,
            kind="shift.missed",
            audience="ops",
            dedupe_key=f"shift.missed:{row.id}",
            payload={"shift_id": row.id, "starts_at": row.starts_at.isoformat()},
            contractor_id=row.contractor_id,
        )
    return {"missed": len(due)}
