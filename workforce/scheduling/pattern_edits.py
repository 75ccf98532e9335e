"""Changing and deleting a weekly shift pattern (docs/shift-patterns.md).

A pattern's shifts are already planned when it changes. The rule:

* **Future shifts follow.** A shift of the pattern *follows* it while it is ``scheduled``,
  starts after now and is still held by the pattern's contractor. A change re-expands the
  pattern (from its first date to its possibly new ``until``, in the contractor's zone) and,
  local date by local date: a follower whose date is still in the pattern is moved to the
  new times (and to the new queue, if the queue changed), one whose date left the pattern
  is cancelled, and a new date in the future gets a new shift. A follower already at the
  right times and queue is left untouched.
* **Everything else stays**: shifts that started, ended, were missed or cancelled, and
  shifts that were reassigned, opened or moved to another contractor one by one.
* Every moved or new shift passes :func:`~workforce.scheduling.enforcement.enforce`
  (eligibility, overlap, rest, length, weekly hours; ``override_reason`` as when planning),
  checked against the contractor's other shifts as they will be, not as they were; one
  refusal refuses the whole change. Each moved and cancelled shift is audited and its
  contractor told, as ``PATCH /shifts/{id}`` and ``POST /shifts/{id}/cancel`` do.

Deleting a pattern cancels its followers and marks it ``deleted_at``; the row stays, since
its past shifts point to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.scheduling.enforcement import (
    EARLIEST,
    LATEST,
    enforce,
    lock_contractor,
    override_summary,
    require_queue,
)
from workforce.scheduling.patterns import expand_weekly_pattern
from workforce.scheduling.planning import cancel_shift
from workforce.scheduling.rules import Interval
from workforce.shifts.models import Shift, ShiftPattern
from workforce.timeutil import load_zone

__all__ = ["delete_pattern", "get_pattern", "patterns_query", "update_pattern"]

#: What a shift cancelled because its date left the pattern says.
CHANGED_REASON = "the shift pattern changed"
DELETED_REASON = "the shift pattern was deleted"


def get_pattern(session: Session, pattern_id: int) -> ShiftPattern:
    pattern = session.get(ShiftPattern, pattern_id)
    if pattern is None:
        raise NotFound(f"shift pattern {pattern_id} does not exist")
    return pattern


def patterns_query(
    *,
    contractor_id: int | None = None,
    queue_id: int | None = None,
    include_deleted: bool = False,
) -> Select[tuple[ShiftPattern]]:
    """Patterns, newest first."""
    stmt = select(ShiftPattern).order_by(ShiftPattern.id.desc())
    if contractor_id is not None:
        stmt = stmt.where(ShiftPattern.contractor_id == contractor_id)
    if queue_id is not None:
        stmt = stmt.where(ShiftPattern.queue_id == queue_id)
    if not include_deleted:
        stmt = stmt.where(ShiftPattern.deleted_at.is_(None))
    return stmt


def _followers(session: Session, pattern: ShiftPattern, now: dt.datetime) -> list[Shift]:
    """The pattern's shifts that still follow it (the module's docstring)."""
    return list(
        session.scalars(
            select(Shift)
            .where(
                Shift.pattern_id == pattern.id,
                Shift.status == "scheduled",
                Shift.starts_at > now,
                Shift.contractor_id == pattern.contractor_id,
            )
            .order_by(Shift.starts_at)
        )
    )


def _kept_days(
    session: Session, pattern: ShiftPattern, followers: list[Shift], tz: dt.tzinfo
) -> set[dt.date]:
    """Local dates on which the pattern has a shift that stays (started, reassigned,
    cancelled one by one): such a date gets no new shift. Shifts an earlier change of the
    pattern cancelled do not count, so a day put back is planned again."""
    following = {shift.id for shift in followers}
    starts = session.scalars(
        select(Shift.starts_at).where(
            Shift.pattern_id == pattern.id,
            Shift.id.not_in(following),
            (Shift.status != "cancelled") | (Shift.cancel_reason.is_distinct_from(CHANGED_REASON)),
        )
    )
    return {start.astimezone(tz).date() for start in starts}


def _editable(pattern: ShiftPattern) -> None:
    if pattern.deleted_at is not None:
        raise Conflict(f"shift pattern {pattern.id} was deleted", code="pattern_deleted")


def update_pattern(
    session: Session,
    pattern_id: int,
    changes: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> ShiftPattern:
    """Change the days, local start, duration, ``until`` or queue of a pattern; its future
    shifts follow (the module's docstring)."""
    now = now or utcnow()
    pattern = get_pattern(session, pattern_id)
    _editable(pattern)
    contractor = lock_contractor(session, pattern.contractor_id)
    queue_changed = "queue_id" in changes and changes["queue_id"] != pattern.queue_id
    queue = require_queue(session, changes.get("queue_id", pattern.queue_id))
    days = sorted(changes.get("days_of_week", pattern.days_of_week))
    local_start: dt.time = changes.get("local_start", dt.time.fromisoformat(pattern.local_start))
    minutes: int = changes.get("duration_minutes", pattern.duration_minutes)
    until: dt.date = changes.get("until", pattern.until)
    if not EARLIEST.date() <= until < LATEST.date():
        raise InvalidInput.field("until", "must be between 2000-01-01 and 2099-12-31")
    tz = load_zone(contractor.timezone)
    planned = expand_weekly_pattern(
        days, local_start, dt.timedelta(minutes=minutes), pattern.starts_on, until, tz
    )
    wanted = {start.astimezone(tz).date(): (start, end) for start, end in planned if start > now}
    followers = _followers(session, pattern, now)
    by_day = {shift.starts_at.astimezone(tz).date(): shift for shift in followers}

    def in_place(shift: Shift, day: dt.date) -> bool:
        start, end = wanted[day]
        return (shift.starts_at, shift.ends_at) == (start, end) and (
            not queue_changed or shift.queue_id == queue.id
        )

    gone = [s for day, s in by_day.items() if day not in wanted]
    moving = [(s, day) for day, s in by_day.items() if day in wanted and not in_place(s, day)]
    kept = _kept_days(session, pattern, followers, tz)
    new_days = sorted(day for day in wanted if day not in by_day and day not in kept)
    for shift in gone:
        cancel_shift(session, shift.id, CHANGED_REASON)
    # The moving shifts leave their old times first, so they are checked against the
    # contractor's shifts as they will be (a later start cannot clash with where the next
    # day's shift used to be). Nothing is kept if any check fails: the request rolls back.
    previous = {s.id: (s.starts_at, s.ends_at, s.queue_id) for s, _ in moving}
    for shift, _ in moving:
        shift.status = "cancelled"
    session.flush()
    override_reason = changes.get("override_reason")
    overridden: set[str] = set()
    groups: dict[int, list[tuple[Shift | None, dt.date]]] = {}
    for shift, day in moving:
        groups.setdefault(queue.id if queue_changed else shift.queue_id, []).append((shift, day))
    for day in new_days:
        groups.setdefault(queue.id, []).append((None, day))
    created: list[Shift] = []
    for queue_id, members in sorted(groups.items()):
        group_queue = session.get_one(Queue, queue_id)
        candidates = [Interval(*wanted[day], shift.id if shift else None) for shift, day in members]
        overridden.update(enforce(session, contractor, group_queue, candidates, override_reason))
        for held, day in members:
            start, end = wanted[day]
            if held is None:
                shift = Shift(
                    contractor_id=contractor.id,
                    queue_id=queue_id,
                    status="scheduled",
                    sequence=0,
                    needs_cover=False,
                    pattern_id=pattern.id,
                    starts_at=start,
                    ends_at=end,
                )
                session.add(shift)
                created.append(shift)
            else:
                held.status = "scheduled"
                held.starts_at, held.ends_at, held.queue_id = start, end, queue_id
                held.sequence += 1
        session.flush()
    reason = override_reason if overridden else None
    for shift, _ in moving:
        shift.override_reason = reason
        _tell_moved(session, shift, previous[shift.id], overridden, override_reason)
    for shift in created:
        shift.override_reason = reason
    fields = _apply(pattern, contractor, queue, days, local_start, minutes, until)
    if overridden:
        pattern.override_reason = override_reason
    session.flush()
    audit.record(
        session,
        "shift_pattern.update",
        "shift_pattern",
        pattern.id,
        {
            "fields": fields,
            "moved_shift_ids": [s.id for s, _ in moving],
            "cancelled_shift_ids": [s.id for s in gone],
            "created_shift_ids": [s.id for s in created],
            **override_summary(sorted(overridden), override_reason),
        },
    )
    return pattern


def _apply(
    pattern: ShiftPattern,
    contractor: Contractor,
    queue: Queue,
    days: list[int],
    local_start: dt.time,
    minutes: int,
    until: dt.date,
) -> list[str]:
    """Store the pattern's new terms; the names of those that changed."""
    new = {
        "queue_id": queue.id,
        "days_of_week": days,
        "local_start": local_start.strftime("%H:%M"),
        "duration_minutes": minutes,
        "until": until,
        "timezone": contractor.timezone,
    }
    fields = sorted(name for name, value in new.items() if getattr(pattern, name) != value)
    for name in fields:
        setattr(pattern, name, new[name])
    return fields


def _tell_moved(
    session: Session,
    shift: Shift,
    before: tuple[dt.datetime, dt.datetime, int],
    overridden: set[str],
    override_reason: str | None,
) -> None:
    """Audit and notify a moved shift as ``PATCH /shifts/{id}`` does."""
    fields = [
        name
        for name, old in zip(("starts_at", "ends_at", "queue_id"), before, strict=True)
        if getattr(shift, name) != old
    ]
    audit.record(
        session,
        "shift.update",
        "shift",
        shift.id,
        {
            "fields": fields,
            "contractor_id": shift.contractor_id,
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
            "pattern_id": shift.pattern_id,
            **override_summary(sorted(overridden), override_reason),
        },
    )
    notify_once(
        session,
        kind="shift.changed",
        audience="contractor",
        dedupe_key=f"shift:{shift.id}:{shift.sequence}:changed:{shift.contractor_id}",
        payload={"shift_id": shift.id, "fields": fields},
        contractor_id=shift.contractor_id,
    )


def delete_pattern(
    session: Session, pattern_id: int, reason: str | None, now: dt.datetime | None = None
) -> ShiftPattern:
    """Cancel the pattern's future shifts (its followers) and mark it deleted; past shifts
    and those handled one by one stay as they are."""
    now = now or utcnow()
    pattern = get_pattern(session, pattern_id)
    _editable(pattern)
    lock_contractor(session, pattern.contractor_id)
    cancelled = [
        cancel_shift(session, shift.id, reason or DELETED_REASON).id
        for shift in _followers(session, pattern, now)
    ]
    pattern.deleted_at = now
    session.flush()
    audit.record(
        session,
        "shift_pattern.delete",
        "shift_pattern",
        pattern.id,
        {"reason": reason, "cancelled_shift_ids": cancelled},
    )
    return pattern
