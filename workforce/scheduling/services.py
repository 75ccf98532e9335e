"""Shifts: plan one or a weekly pattern, change, cancel, claim, clock in and out, correct.

Every way a shift gets (or keeps) a contractor runs the same checks, in this order:

1. eligibility — :func:`workforce.eligibility.check.check` at the shift's start: a 409
   ``not_eligible`` with every reason. Never overridable.
2. the rules of :mod:`workforce.scheduling.rules` against the contractor's other shifts
   (loaded by one indexed query around the candidate), with the limits of the contractor's
   country (:mod:`workforce.scheduling.hour_limits`): ``overlap`` (never overridable), then the
   hour rules ``rest_too_short``, ``shift_too_long`` and ``weekly_hours_exceeded``, which ops
   may override with an ``override_reason``; the override is stored and audited.

Rules compare *planned* times of scheduled, in-progress and completed shifts; cancelled
and missed shifts do not count.

Concurrency: the contractor's row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite's writers are serial already) before their shifts are read, so two plans for one
person cannot both pass the checks. A claim is a conditional
``UPDATE ... WHERE contractor_id IS NULL``: the first valid claim wins, the next finds no
row to update and gets a 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.eligibility import check as eligibility
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.scheduling.hour_limits import limits_for
from workforce.scheduling.patterns import MAX_DURATION, expand_weekly_pattern
from workforce.scheduling.rules import (
    Interval,
    ShiftLimits,
    check_shift,
    is_hour_rule,
    raise_breaches,
)
from workforce.shifts.models import Shift, ShiftHandover, ShiftPattern
from workforce.timeutil import load_zone, require_aware

__all__ = [
    "CLOCK_IN_EARLY",
    "COUNTED_STATUSES",
    "MISSED_GRACE",
    "cancel_shift",
    "claim_shift",
    "clock_in",
    "clock_out",
    "correct_times",
    "create_pattern",
    "create_shift",
    "get_shift",
    "mark_missed_shifts",
    "open_shifts_query",
    "shifts_query",
    "update_shift",
]

#: Statuses whose planned time counts for overlap, rest and weekly hours.
COUNTED_STATUSES = ("scheduled", "in_progress", "completed")
#: How far around a candidate other shifts are loaded: a local week (at most 7 days and
#: an hour of DST) on either side covers the weekly sum, and a neighbour further away than
#: that is far past any rest limit (limits.py caps rest at 48 h).
RULE_WINDOW = dt.timedelta(days=8)
#: Longest shift there is (patterns.py): how far before a window a shift may start and
#: still reach into it. Longer than 12 h needs an override; longer than 24 h is a typo.
MAX_SHIFT = MAX_DURATION
#: A contractor may clock in this long before the planned start (setting up, handover).
CLOCK_IN_EARLY = dt.timedelta(hours=1)
#: A shift with no clock-in this long after its planned start is marked ``missed``. Half an
#: hour absorbs a slow login or a late bus without hiding a no-show from ops for long. A
#: late clock-in before the shift ends still turns a missed shift into ``in_progress``.
MISSED_GRACE = dt.timedelta(minutes=30)
#: Shifts are planned within these instants; outside them a date is a typo (and date
#: arithmetic near year 1 or 9999 would overflow).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


# --- loading -------------------------------------------------------------------------


def get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} does not exist")
    return shift


def _queue(session: Session, queue_id: int) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise InvalidInput.field("queue_id", f"queue {queue_id} does not exist")
    return queue


def _lock_contractor(
    session: Session, contractor_id: int, field: str = "contractor_id"
) -> Contractor:
    """The contractor, locked until the transaction ends (serialises their planning)."""
    contractor = session.scalars(
        select(Contractor)
        .where(Contractor.id == contractor_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if contractor is None:
        raise InvalidInput.field(field, f"contractor {contractor_id} does not exist")
    return contractor


def _limits(contractor: Contractor) -> ShiftLimits:
    settings = current_app.config.get("SHIFT_LIMITS") if has_app_context() else None
    return limits_for(contractor.country, settings)


def _existing(
    session: Session, contractor_id: int, lo: dt.datetime, hi: dt.datetime
) -> list[Interval]:
    """The contractor's counted shifts that may matter for candidates within [lo, hi):
    one query on ``ix_shifts_contractor_starts``."""
    rows = session.execute(
        select(Shift.id, Shift.starts_at, Shift.ends_at)
        .where(
            Shift.contractor_id == contractor_id,
            Shift.starts_at >= lo - RULE_WINDOW - MAX_SHIFT,
            Shift.starts_at < hi + RULE_WINDOW,
            Shift.status.in_(COUNTED_STATUSES),
        )
        .order_by(Shift.starts_at)
    ).all()
    return [Interval(start, end, shift_id) for shift_id, start, end in rows]


# --- the checks ------------------------------------------------------------------------


def _interval(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = require_aware(starts_at, "starts_at")
    end = require_aware(ends_at, "ends_at")
    if not EARLIEST <= start < LATEST:
        raise InvalidInput.field("starts_at", "must be between 2000-01-01 and 2099-12-31")
    if end <= start:
        raise InvalidInput.field("ends_at", "must be after starts_at")
    if end - start > MAX_SHIFT:
        raise InvalidInput.field("ends_at", "a shift may last at most 24 hours")
    return start, end


def _require_eligible(
    session: Session, contractor: Contractor, queue: Queue, at: dt.datetime
) -> None:
    verdict = eligibility.check(session, contractor, queue, at)
    if not verdict.eligible:
        raise Conflict(
            f"contractor {contractor.id} may not work on {queue.slug} at "
            f"{at.isoformat()}: {', '.join(verdict.reasons)}",
            code="not_eligible",
            extra={"reasons": verdict.reasons, "queue": queue.slug, "starts_at": at.isoformat()},
        )


def _enforce(
    session: Session,
    contractor: Contractor,
    queue: Queue,
    candidates: Sequence[Interval],
    override_reason: str | None,
) -> list[str]:
    """Check each candidate (and the earlier ones among them) or raise a 409.

    Returns the hour rules that ``override_reason`` overrode (empty when none broke).
    """
    if not candidates:
        return []
    tz = load_zone(contractor.timezone)
    limits = _limits(contractor)
    known = _existing(
        session,
        contractor.id,
        min(c.start for c in candidates),
        max(c.end for c in candidates),
    )
    overridden: set[str] = set()
    for candidate in candidates:
        _require_eligible(session, contractor, queue, candidate.start)
        near = [
            other
            for other in known
            if other.start < candidate.end + RULE_WINDOW
            and other.end > candidate.start - RULE_WINDOW
        ]
        breaches = check_shift(candidate, near, tz, limits)
        try:
            raise_breaches(breaches, override_hour_rules=bool(override_reason))
        except Conflict as conflict:
            conflict.extra["starts_at"] = candidate.start.isoformat()
            raise
        overridden.update(b.code for b in breaches if is_hour_rule(b.code))
        known.append(candidate)
    return sorted(overridden)


def _override_summary(overridden: list[str], reason: str | None) -> dict[str, Any]:
    return {"overridden": overridden, "override_reason": reason} if overridden else {}


# --- planning --------------------------------------------------------------------------


def create_shift(session: Session, data: Mapping[str, Any]) -> Shift:
    """One shift; without ``contractor_id`` it is an open shift for eligible people to claim."""
    queue = _queue(session, data["queue_id"])
    start, end = _interval(data["starts_at"], data["ends_at"])
    contractor_id = data.get("contractor_id")
    override_reason = data.get("override_reason")
    overridden: list[str] = []
    if contractor_id is not None:
        contractor = _lock_contractor(session, contractor_id)
        overridden = _enforce(session, contractor, queue, [Interval(start, end)], override_reason)
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
            **_override_summary(overridden, override_reason),
        },
    )
    return shift


def create_pattern(session: Session, data: Mapping[str, Any]) -> ShiftPattern:
    """Expand a weekly pattern in the contractor's zone and plan every shift, or none.

    Local start times stay local across DST changes (see :mod:`patterns`). The first shift
    that breaks a rule fails the whole request with its ``starts_at`` in the 409.
    """
    contractor = _lock_contractor(session, data["contractor_id"])
    queue = _queue(session, data["queue_id"])
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
    overridden = _enforce(
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
            **_override_summary(overridden, override_reason),
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
    queue = _queue(session, changes["queue_id"]) if "queue_id" in changes else None
    start, end = _interval(
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
        contractor = _lock_contractor(session, contractor_id)
        queue = queue or session.get_one(Queue, shift.queue_id)
        overridden = _enforce(
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
            **_override_summary(overridden, override_reason),
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
    contractor = _lock_contractor(session, contractor_id)
    queue = session.get_one(Queue, shift.queue_id)
    _enforce(session, contractor, queue, [Interval(shift.starts_at, shift.ends_at, shift.id)], None)
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


# --- actuals ---------------------------------------------------------------------------


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


# --- lists -------------------------------------------------------------------------------


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
