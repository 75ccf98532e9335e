"""Planning shifts: one, or a weekly pattern; change, cancel, and claim an open shift.

Each runs the checks of :mod:`workforce.scheduling.enforcement` for whoever holds the
shift afterwards. A claim is a conditional ``UPDATE ... WHERE contractor_id IS NULL``: the
first valid claim wins, the next finds no row to update and gets a 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.scheduling.enforcement import (
    EARLIEST,
    LATEST,
    enforce,
    lock_contractor,
    override_summary,
    require_queue,
    valid_interval,
)
from workforce.scheduling.patterns import expand_weekly_pattern
from workforce.scheduling.queries import get_shift
from workforce.scheduling.rules import Interval
from workforce.shifts.models import Shift, ShiftHandover, ShiftPattern
from workforce.timeutil import load_zone

__all__ = ["cancel_shift", "claim_shift", "create_pattern", "create_shift", "update_shift"]


def create_shift(session: Session, data: Mapping[str, Any]) -> Shift:
    """One shift; without ``contractor_id`` it is an open shift for eligible people to claim."""
    queue = require_queue(session, data["queue_id"])
    start, end = valid_interval(data["starts_at"], data["ends_at"])
    contractor_id = data.get("contractor_id")
    override_reason = data.get("override_reason")
    overridden: list[str] = []
    if contractor_id is not None:
        contractor = lock_contractor(session, contractor_id)
        overridden = enforce(session, contractor, queue, [Interval(start, end)], override_reason)
    elif not queue.active:
        raise Conflict(f"queue {queue.slug} is inactive", code="queue_inactive")
    shift = Shift(
        contractor_id=contractor_id,
        queue_id=queue.id,
        starts_at=start,
        ends_at=end,
        status="scheduled",
        sequence=0,
        needs_cover=False,
        override_reason=override_reason if overridden else None,
    )
    session.add(shift)
    session.flush()
    audit.record(
        session,
        "shift.create",
        "shift",
        shift.id,
        {
            "contractor_id": contractor_id,
            "queue_id": queue.id,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            **override_summary(overridden, override_reason),
        },
    )
    return shift


def create_pattern(session: Session, data: Mapping[str, Any]) -> ShiftPattern:
    """Expand a weekly pattern in the contractor's zone and plan every shift, or none.

    Local start times stay local across DST changes (see :mod:`patterns`). The first shift
    that breaks a rule fails the whole request with its ``starts_at`` in the 409.
    """
    contractor = lock_contractor(session, data["contractor_id"])
    queue = require_queue(session, data["queue_id"])
    tz = load_zone(contractor.timezone)
    local_start: dt.time = data["local_start"]
    duration = dt.timedelta(minutes=data["duration_minutes"])
    starts_on: dt.date = data["starts_on"]
    until: dt.date = data["until"]
    for field, day in (("from", starts_on), ("until", until)):
        if not EARLIEST.date() <= day < LATEST.date():
            raise InvalidInput.field(field, "must be between 2000-01-01 and 2099-12-31")
    planned = expand_weekly_pattern(
        data["days_of_week"], local_start, duration, starts_on, until, tz
    )
    if not planned:
        raise InvalidInput.field("days_of_week", "none of these days falls between from and until")
    override_reason = data.get("override_reason")
    overridden = enforce(
        session,
        contractor,
        queue,
        [Interval(start, end) for start, end in planned],
        override_reason,
    )
    pattern = ShiftPattern(
        contractor_id=contractor.id,
        queue_id=queue.id,
        days_of_week=sorted(data["days_of_week"]),
        local_start=local_start.strftime("%H:%M"),
        duration_minutes=data["duration_minutes"],
        starts_on=starts_on,
        until=until,
        timezone=contractor.timezone,
        override_reason=override_reason if overridden else None,
    )
    session.add(pattern)
    session.flush()
    shifts = [
        Shift(
            contractor_id=contractor.id,
            queue_id=queue.id,
            starts_at=start,
            ends_at=end,
            status="scheduled",
            sequence=0,
            needs_cover=False,
            pattern_id=pattern.id,
            override_reason=override_reason if overridden else None,
        )
        for start, end in planned
    ]
    session.add_all(shifts)
    session.flush()
    audit.record(
        session,
        "shift_pattern.create",
        "shift_pattern",
        pattern.id,
        {
            "contractor_id": contractor.id,
            "queue_id": queue.id,
            "days_of_week": pattern.days_of_week,
            "local_start": pattern.local_start,
            "duration_minutes": pattern.duration_minutes,
            "from": starts_on.isoformat(),
            "until": until.isoformat(),
            "timezone": pattern.timezone,
            "shift_ids": [s.id for s in shifts],
            **override_summary(overridden, override_reason),
        },
    )
    return pattern


def update_shift(session: Session, shift_id: int, changes: Mapping[str, Any]) -> Shift:
    """Move, reassign (or open: ``contractor_id: null``) or change the queue of a
    scheduled shift; the rules run again for whoever holds it afterwards."""
    shift = get_shift(session, shift_id)
    if shift.status != "scheduled":
        raise Conflict(f"a {shift.status} shift cannot be changed", code="shift_not_editable")
    contractor_id = changes.get("contractor_id", shift.contractor_id)
    queue = require_queue(session, changes["queue_id"]) if "queue_id" in changes else None
    start, end = valid_interval(
        changes.get("starts_at", shift.starts_at), changes.get("ends_at", shift.ends_at)
    )
    new = {
        "contractor_id": contractor_id,
        "queue_id": queue.id if queue else shift.queue_id,
        "starts_at": start,
        "ends_at": end,
    }
    changed = sorted(name for name, value in new.items() if getattr(shift, name) != value)
    if not changed:
        return shift
    override_reason = changes.get("override_reason")
    overridden: list[str] = []
    if contractor_id is not None:
        contractor = lock_contractor(session, contractor_id)
        queue = queue or session.get_one(Queue, shift.queue_id)
        overridden = enforce(
            session, contractor, queue, [Interval(start, end, shift.id)], override_reason
        )
    handed_over_by = shift.contractor_id if "contractor_id" in changed else None
    handover = (shift.starts_at, shift.ends_at)
    for name, value in new.items():
        setattr(shift, name, value)
    shift.override_reason = override_reason if overridden else None
    if contractor_id is not None:
        shift.needs_cover = False
    shift.sequence += 1
    if handed_over_by is not None:
        session.add(
            ShiftHandover(
                shift_id=shift.id,
                contractor_id=handed_over_by,
                starts_at=handover[0],
                ends_at=handover[1],
                sequence=shift.sequence,
            )
        )
    session.flush()
    audit.record(
        session,
        "shift.update",
        "shift",
        shift.id,
        {
            "fields": changed,
            "contractor_id": contractor_id,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            **override_summary(overridden, override_reason),
        },
    )
    # Whoever held it and whoever holds it now hear of the change (by email, issue 18).
    for holder in {handed_over_by, contractor_id} - {None}:
        notify_once(
            session,
            kind="shift.changed",
            audience="contractor",
            dedupe_key=f"shift:{shift.id}:{shift.sequence}:changed:{holder}",
            payload={"shift_id": shift.id, "fields": changed},
            contractor_id=holder,
        )
    return shift


def cancel_shift(session: Session, shift_id: int, reason: str | None) -> Shift:
    """Cancel a scheduled shift; calendar feeds show it as ``STATUS:CANCELLED``."""
    shift = get_shift(session, shift_id)
    if shift.status != "scheduled":
        raise Conflict(f"a {shift.status} shift cannot be cancelled", code="shift_not_cancellable")
    shift.status = "cancelled"
    shift.cancel_reason = reason
    shift.needs_cover = False
    shift.sequence += 1
    session.flush()
    audit.record(
        session,
        "shift.cancel",
        "shift",
        shift.id,
        {"contractor_id": shift.contractor_id, "reason": reason},
    )
    if shift.contractor_id is not None:
        notify_once(
            session,
            kind="shift.cancelled",
            audience="contractor",
            dedupe_key=f"shift:{shift.id}:cancelled",
            payload={"shift_id": shift.id},
            contractor_id=shift.contractor_id,
        )
    return shift


def claim_shift(
    session: Session, shift_id: int, contractor_id: int, now: dt.datetime | None = None
) -> Shift:
    """An eligible contractor takes an open shift; the first valid claim wins."""
    now = now or utcnow()
    shift = get_shift(session, shift_id)
    if shift.status != "scheduled":
        raise Conflict(f"a {shift.status} shift cannot be claimed", code="shift_not_open")
    if shift.contractor_id is not None:
        raise Conflict("the shift is already assigned", code="shift_taken")
    if shift.starts_at <= now:
        raise Conflict("the shift has already started", code="shift_started")
    contractor = lock_contractor(session, contractor_id)
    queue = session.get_one(Queue, shift.queue_id)
    enforce(session, contractor, queue, [Interval(shift.starts_at, shift.ends_at, shift.id)], None)
    result = session.execute(
        update(Shift)
        .where(
            Shift.id == shift.id,
            Shift.contractor_id.is_(None),
            Shift.status == "scheduled",
        )
        .values(
            contractor_id=contractor.id,
            sequence=Shift.sequence + 1,
            needs_cover=False,
            override_reason=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("another contractor claimed the shift first", code="shift_taken")
    session.refresh(shift)
    audit.record(session, "shift.claim", "shift", shift.id, {"contractor_id": contractor.id})
    return shift
