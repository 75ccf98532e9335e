"""The checks every way a shift gets (or keeps) a contractor runs, in this order:

1. eligibility — :func:`workforce.eligibility.check.check` at the shift's start: a 409
   ``not_eligible`` with every reason. Never overridable.
2. the rules of :mod:`workforce.scheduling.rules` against the contractor's other shifts
   (loaded by one indexed query around the candidate), with the limits of the contractor's
   country (:mod:`workforce.scheduling.hour_limits`): ``overlap`` (never overridable), then the
   hour rules ``rest_too_short``, ``shift_too_long`` and ``weekly_hours_exceeded``, which ops
   may override with an ``override_reason``; the override is stored and audited.
3. approved time off (:mod:`workforce.scheduling.time_off`): a candidate touching its local
   dates is a 409 ``on_leave``. Never overridable. (Checked for all candidates at once, in
   one query, before the per-candidate checks.)
4. the contractor's weekly availability (:mod:`workforce.scheduling.availability`): a
   candidate outside their windows is a 409 ``outside_availability``, which ops override
   with an ``override_reason`` exactly like the hour rules (reported after the rules' own
   breaches, in the same ``breaches`` list).

Rules compare *planned* times of scheduled, in-progress and completed shifts; cancelled
and missed shifts do not count.

Concurrency: the contractor's row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite's writers are serial already) before their shifts are read, so two plans for one
person cannot both pass the checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.eligibility import check as eligibility
from workforce.errors import Conflict, InvalidInput
from workforce.queues.models import Queue
from workforce.scheduling.availability import (
    OUTSIDE_AVAILABILITY,
    availability_breaches,
    get_windows,
)
from workforce.scheduling.hour_limits import limits_for
from workforce.scheduling.patterns import MAX_DURATION
from workforce.scheduling.rules import (
    Interval,
    ShiftLimits,
    check_shift,
    is_hour_rule,
    raise_breaches,
)
from workforce.scheduling.time_off import require_not_on_leave
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, require_aware

__all__ = [
    "COUNTED_STATUSES",
    "EARLIEST",
    "LATEST",
    "MAX_SHIFT",
    "OVERRIDABLE",
    "enforce",
    "is_overridable",
    "lock_contractor",
    "override_summary",
    "require_queue",
    "valid_interval",
]

#: Statuses whose planned time counts for overlap, rest and weekly hours.
COUNTED_STATUSES = ("scheduled", "in_progress", "completed")
#: How far around a candidate other shifts are loaded: a local week (at most 7 days and
#: an hour of DST) on either side covers the weekly sum, and a neighbour further away than
#: that is far past any rest limit (hour_limits.py caps rest at 48 h).
RULE_WINDOW = dt.timedelta(days=8)
#: Longest shift there is (patterns.py): how far before a window a shift may start and
#: still reach into it. Longer than 12 h needs an override; longer than 24 h is a typo.
MAX_SHIFT = MAX_DURATION
#: Shifts are planned within these instants; outside them a date is a typo (and date
#: arithmetic near year 1 or 9999 would overflow).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
#: What an ``override_reason`` lifts: the hour rules and availability.
OVERRIDABLE = frozenset({OUTSIDE_AVAILABILITY})


def is_overridable(code: str) -> bool:
    """True for a breach ops may plan through with a reason."""
    return is_hour_rule(code) or code in OVERRIDABLE


def require_queue(session: Session, queue_id: int) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise InvalidInput.field("queue_id", f"queue {queue_id} does not exist")
    return queue


def lock_contractor(
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
    one query on ``ix_shifts_contractor_starts_cover``."""
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


def valid_interval(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
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


def enforce(
    session: Session,
    contractor: Contractor,
    queue: Queue,
    candidates: Sequence[Interval],
    override_reason: str | None,
) -> list[str]:
    """Check each candidate (and the earlier ones among them) or raise a 409.

    Returns the rules that ``override_reason`` overrode (empty when none broke): hour rules
    and ``outside_availability``.
    """
    if not candidates:
        return []
    tz = load_zone(contractor.timezone)
    limits = _limits(contractor)
    windows = get_windows(session, contractor.id)
    require_not_on_leave(session, contractor, list(candidates), tz)
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
        breaches = [
            *check_shift(candidate, near, tz, limits),
            *availability_breaches(candidate, windows, tz),
        ]
        try:
            raise_breaches(
                [b for b in breaches if not (override_reason and is_overridable(b.code))]
            )
        except Conflict as conflict:
            conflict.extra["starts_at"] = candidate.start.isoformat()
            raise
        overridden.update(b.code for b in breaches if is_overridable(b.code))
        known.append(candidate)
    return sorted(overridden)


def override_summary(overridden: list[str], reason: str | None) -> dict[str, Any]:
    return {"overridden": overridden, "override_reason": reason} if overridden else {}
