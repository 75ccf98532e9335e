"""The rotation report: what rotations happened in a period and how fast.

Counts rotations *started* in the period (00:00 UTC of ``from`` to 24:00 UTC of ``to``),
optionally of contractors of one country:

- ``breaches``: automated rotations (those with a ``breach_at``);
- ``by_reason`` and ``by_outcome`` (status: active, ended, overturned), and both crossed;
- ``reviews_requested``: rotations whose contractor asked a human to review them;
  ``reviews_overturned``: rotations overturned on review;
- ``shifts_reassigned`` and ``shifts_cancelled``: summed over the rotations;
  ``shifts_needing_cover``: shifts starting in the period still flagged ``needs_cover``;
- ``late_rotations``: automated rotations that started more than one sweep interval
  (``SWEEP_INTERVAL_SECONDS``) after their breach, each listed by rotation id (no names).

No wellbeing data: a wellbeing rotation is counted under its reason, nothing more.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.reports.evidence import day_start
from workforce.reports.exposure import check_period, nearest_rank
from workforce.rotations.models import ROTATION_REASONS, ROTATION_STATUSES, Rotation
from workforce.shifts.models import Shift


def rotation_report(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    country: str | None = None,
    sweep_interval_seconds: int = 60,
) -> dict[str, Any]:
    check_period(start, end)
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    stmt = (
        select(Rotation)
        .join(Contractor, Contractor.id == Rotation.contractor_id)
        .where(Rotation.started_at >= lo, Rotation.started_at < hi)
        .order_by(Rotation.started_at, Rotation.id)
    )
    if country is not None:
        stmt = stmt.where(Contractor.country == country)
    rotations = list(session.scalars(stmt))
    by_reason = dict.fromkeys(ROTATION_REASONS, 0)
    by_outcome = dict.fromkeys(ROTATION_STATUSES, 0)
    crossed = {reason: dict.fromkeys(ROTATION_STATUSES, 0) for reason in ROTATION_REASONS}
    delays, late = [], []
    for rotation in rotations:
        by_reason[rotation.reason] = by_reason.get(rotation.reason, 0) + 1
        by_outcome[rotation.status] = by_outcome.get(rotation.status, 0) + 1
        crossed.setdefault(rotation.reason, dict.fromkeys(ROTATION_STATUSES, 0))
        crossed[rotation.reason][rotation.status] += 1
        if rotation.breach_at is None:
            continue
        delay = (rotation.started_at - rotation.breach_at).total_seconds()
        delays.append(delay)
        if delay > sweep_interval_seconds:
            late.append(
                {
                    "rotation_id": rotation.id,
                    "reason": rotation.reason,
                    "breach_at": rotation.breach_at.isoformat(),
                    "started_at": rotation.started_at.isoformat(),
                    "delay_seconds": round(delay, 3),
                }
            )
    cover = (
        select(func.count())
        .select_from(Shift)
        .where(Shift.needs_cover.is_(True), Shift.starts_at >= lo, Shift.starts_at < hi)
    )
    if country is not None:
        cover = cover.join(Contractor, Contractor.id == Shift.contractor_id).where(
            Contractor.country == country
        )
    delays.sort()
    p95 = nearest_rank(delays, 0.95)
    return {
        "rotations": len(rotations),
        "contractors": len({r.contractor_id for r in rotations}),
        "breaches": len(delays),
        "by_reason": by_reason,
        "by_outcome": by_outcome,
        "by_reason_and_outcome": crossed,
        "reviews_requested": sum(1 for r in rotations if r.review_requested_at is not None),
        "reviews_overturned": by_outcome.get("overturned", 0),
        "shifts_reassigned": sum(r.shifts_reassigned or 0 for r in rotations),
        "shifts_cancelled": sum(r.shifts_cancelled or 0 for r in rotations),
        "shifts_needing_cover": session.scalar(cover) or 0,
        "breach_to_rotation_median_seconds": (
            round(statistics.median(delays), 3) if delays else None
        ),
        "breach_to_rotation_p95_seconds": None if p95 is None else round(p95, 3),
        "sweep_interval_seconds": sweep_interval_seconds,
        "late_rotations": late,
    }
