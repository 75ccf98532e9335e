"""Planned rotations: a week off sensitive queues after a run of weeks with egregious work.

The daily job ``planned-rotations`` reads the policy in force (``planned_rotation``:
``work_tier`` 3, ``after_consecutive_weeks`` 4, ``weeks_off`` 1 by default) and, for every
contractor with ``work_tier`` work in the last weeks:

1. **Weeks with work** are the contractor's *local* ISO weeks (Monday to Sunday in their
   zone) with exposure at ``work_tier`` or above in the roll-ups (``exposure_daily``, whose
   days are already local), or with a shift on a ``work_tier`` queue that is not cancelled or
   missed, counted in the local week of its start. Scheduled shifts count, so the rest of the
   current week's planned work makes it a working week ahead of time.
2. **The streak** is the number of weeks in a row with work ending at the current local week.
   When it reaches ``after_consecutive_weeks``, the following ``weeks_off`` weeks are a
   ``planned`` rotation, created now - ahead of time, so ops see it coming - from the local
   Monday of next week to the local Monday after the weeks off. ``start_rotation`` moves the
   contractor's tier >= 2 shifts in that window at once (fallback queue if eligible, else
   cancelled and flagged ``needs_cover``) and notifies the contractor; ops get a
   ``rotation.planned`` notice.
3. **Catch-up**: if the streak reached the limit with *last* week and nothing counts yet this
   week (the job did not run after the last work was rolled up), the rotation covers the
   rest of this week, from now.

Idempotent: the explanation's ``breach_key`` is ``planned:<local Monday of the first week
off>``, and a rotation with that key (whatever its status: an ended or overturned planned
rotation stays decided) is never created again. A week already wholly inside an active
rotation is not planned again either.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.exposure.models import ExposureDaily
from workforce.exposure.policy import Policy, current_policy
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.rotations.models import Rotation
from workforce.rotations.services import start_rotation_once
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_date, local_day_bounds, local_week_start

WEEK = dt.timedelta(days=7)
#: Shifts in these statuses are (or were) work; cancelled and missed ones are not.
WORKING_STATUSES = ("scheduled", "in_progress", "completed")


def _rule(policy: Policy, name: str) -> int:
    """A ``planned_rotation`` number (validation makes every one required)."""
    value = policy.planned_rotation[name]
    assert value is not None
    return value


def streak(weeks: set[dt.date], last: dt.date) -> int:
    """Weeks in a row in ``weeks`` (local Mondays) ending with the week of Monday ``last``."""
    count = 0
    while last - count * WEEK in weeks:
        count += 1
    return count


def working_weeks(
    session: Session, now: dt.datetime, policy: Policy
) -> dict[int, tuple[Contractor, set[dt.date]]]:
    """Per contractor with recent ``work_tier`` exposure or shifts: the local Mondays of
    the weeks with such work, from ``after_consecutive_weeks`` + 1 weeks back to this week.

    Two queries over an indexed range (roll-up days and shift starts), however much history
    is stored, plus one for the contractors.
    """
    work_tier, limit = _rule(policy, "work_tier"), _rule(policy, "after_consecutive_weeks")
    # Every zone's current local week starts within a day of UTC's.
    first_day = local_week_start(now.date()) - (limit + 1) * WEEK - dt.timedelta(days=1)
    horizon = now + WEEK + dt.timedelta(days=1)  # the end of every zone's current week
    days: dict[int, set[dt.date]] = defaultdict(set)
    for contractor_id, day in session.execute(
        select(ExposureDaily.contractor_id, ExposureDaily.local_day)
        .where(
            ExposureDaily.local_day >= first_day,
            ExposureDaily.tier >= work_tier,
            ExposureDaily.seconds > 0,
        )
        .distinct()
    ):
        days[contractor_id].add(day)
    starts: dict[int, list[dt.datetime]] = defaultdict(list)
    for contractor_id, starts_at in session.execute(
        select(Shift.contractor_id, Shift.starts_at)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            Shift.status.in_(WORKING_STATUSES),
            Shift.starts_at >= dt.datetime.combine(first_day, dt.time(), dt.UTC),
            Shift.starts_at < horizon,
            Shift.contractor_id.is_not(None),
            Queue.tier >= work_tier,
        )
    ):
        starts[contractor_id].append(starts_at)
    ids = sorted(set(days) | set(starts))
    found: dict[int, tuple[Contractor, set[dt.date]]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for contractor in session.scalars(
            select(Contractor).where(Contractor.id.in_(chunk), Contractor.status != "offboarded")
        ):
            zone = load_zone(contractor.timezone)
            local = days[contractor.id] | {local_date(s, zone) for s in starts[contractor.id]}
            found[contractor.id] = (contractor, {local_week_start(d) for d in local})
    return found


def _covered(session: Session, contractor_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    """An active rotation already keeps the contractor off from ``start`` to ``end``."""
    return (
        session.scalar(
            select(Rotation.id)
            .where(
                Rotation.contractor_id == contractor_id,
                Rotation.status == "active",
                Rotation.started_at <= start,
                Rotation.ends_at >= end,
            )
            .limit(1)
        )
        is not None
    )


def _planned_keys(session: Session, contractor_ids: list[int], since: dt.datetime) -> set[str]:
    keys: set[str] = set()
    for chunk in (contractor_ids[i : i + 500] for i in range(0, len(contractor_ids), 500)):
        for explanation in session.scalars(
            select(Rotation.explanation).where(
                Rotation.contractor_id.in_(chunk),
                Rotation.reason == "planned",
                Rotation.ends_at >= since,
            )
        ):
            keys.add(f"{(explanation or {}).get('breach_key')}")
    return keys


def plan_rotations(session: Session, now: dt.datetime) -> dict[str, int]:
    """Create the planned rotations due at ``now`` (module docstring); idempotent."""
    policy = current_policy(session, now)
    limit, weeks_off = _rule(policy, "after_consecutive_weeks"), _rule(policy, "weeks_off")
    counts = {"candidates": 0, "rotations": 0, "shifts_reassigned": 0, "shifts_cancelled": 0}
    weeks = working_weeks(session, now, policy)
    counts["candidates"] = len(weeks)
    keys = _planned_keys(session, sorted(weeks), now - 2 * WEEK)
    for contractor_id in sorted(weeks):
        contractor, worked = weeks[contractor_id]
        zone = load_zone(contractor.timezone)
        this_week = local_week_start(local_date(now, zone))
        if this_week in worked:
            last, first_off = this_week, this_week + WEEK
        else:
            last, first_off = this_week - WEEK, this_week
        measured = streak(worked, last)
        key = f"planned:{first_off.isoformat()}"
        if measured < limit or key in keys:
            continue
        started_at = max(now, local_day_bounds(first_off, zone)[0])
        ends_at = local_day_bounds(first_off + weeks_off * WEEK, zone)[0]
        if _covered(session, contractor_id, started_at, ends_at):
            continue
        explanation: dict[str, Any] = {
            "rule": "planned",
            "tier": _rule(policy, "work_tier"),
            "policy_version": policy.version,
            "measured": measured,
            "limit": limit,
            "unit": "weeks",
            "window": {
                "from": (last - (measured - 1) * WEEK).isoformat(),
                "to": (last + dt.timedelta(days=6)).isoformat(),
                "timezone": contractor.timezone,
            },
            "weeks_off": weeks_off,
            "off_from_tier": _rule(policy, "off_from_tier"),
            "breach_key": key,
        }
        rotation = start_rotation_once(
            session,
            contractor_id=contractor_id,
            reason="planned",
            started_at=started_at,
            ends_at=ends_at,
            explanation=explanation,
        )
        if rotation is None:  # a concurrent run planned it first
            continue
        notify_once(
            session,
            kind="rotation.planned",
            audience="ops",
            dedupe_key=f"rotation:{rotation.id}:planned",
            payload={
                "rotation_id": rotation.id,
                "contractor_id": contractor_id,
                "started_at": started_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "shifts_reassigned": rotation.shifts_reassigned,
                "shifts_cancelled": rotation.shifts_cancelled,
            },
            contractor_id=contractor_id,
        )
        counts["rotations"] += 1
        counts["shifts_reassigned"] += rotation.shifts_reassigned
        counts["shifts_cancelled"] += rotation.shifts_cancelled
    return counts
