"""Wellbeing aggregates: check-in participation and the share flagged, by country or queue.

Only aggregates, never a person: the population of a group is the contractors who worked
tier >= 2 content in the period (a shift on a tier >= 2 queue, or tier >= 2 exposure); its
``participants`` are those of them who checked in at least once in the period, and
``flagged_share`` is the share of participants with at least one flagged check-in. A group
with fewer than ``k`` participants is suppressed (with complementary suppression against
the published total), since a small group's share could point at a person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.harm import ROTATED_TIER
from workforce.queues.models import Queue
from workforce.reports.evidence import day_start
from workforce.reports.exposure import check_period
from workforce.reports.suppression import suppress
from workforce.scheduling.models import Shift
from workforce.wellbeing.exposure import ExposureDaily
from workforce.wellbeing.models import CheckIn

GROUPS = ("country", "queue")


def _share(part: int, whole: int) -> str | None:
    if whole == 0:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"), ROUND_HALF_UP))


def _population(
    session: Session, start: dt.date, end: dt.date, group_by: str
) -> dict[str, set[int]]:
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    groups: dict[str, set[int]] = defaultdict(set)
    shifts = session.execute(
        select(Shift.contractor_id, Queue.slug, Contractor.country)
        .join(Queue, Queue.id == Shift.queue_id)
        .join(Contractor, Contractor.id == Shift.contractor_id)
        .where(
            Queue.tier >= ROTATED_TIER,
            Shift.status != "cancelled",
            Shift.starts_at >= lo,
            Shift.starts_at < hi,
        )
    )
    for contractor_id, slug, country in shifts:
        groups[slug if group_by == "queue" else country].add(contractor_id)
    exposed = session.execute(
        select(ExposureDaily.contractor_id, Queue.slug, Contractor.country)
        .join(Contractor, Contractor.id == ExposureDaily.contractor_id)
        .join(Queue, Queue.id == ExposureDaily.queue_id)
        .where(
            ExposureDaily.tier >= ROTATED_TIER,
            ExposureDaily.local_day >= start,
            ExposureDaily.local_day <= end,
        )
        .distinct()
    )
    for contractor_id, slug, country in exposed:
        groups[slug if group_by == "queue" else country].add(contractor_id)
    return groups


def wellbeing_report(
    session: Session, start: dt.date, end: dt.date, *, group_by: str, k: int
) -> dict[str, Any]:
    check_period(start, end)
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    groups = _population(session, start, end, group_by)
    checked: dict[int, bool] = {}
    for contractor_id, flagged in session.execute(
        select(CheckIn.contractor_id, CheckIn.flagged).where(
            CheckIn.created_at >= lo, CheckIn.created_at < hi
        )
    ):
        checked[contractor_id] = checked.get(contractor_id, False) or bool(flagged)
    keys = sorted(groups)
    cells = []
    for key in keys:
        members = groups[key]
        participants = [c for c in members if c in checked]
        cells.append((len(members), len(participants), sum(checked[c] for c in participants)))
    everyone = set().union(*groups.values()) if groups else set()
    total_participants = [c for c in everyone if c in checked]
    hidden = suppress(
        [p for _pop, p, _f in cells],
        k,
        [list(range(len(cells)))],
        total_contractors=[len(total_participants)],
    )

    def row(population: int, participants: int, flagged: int, suppressed: bool) -> dict[str, Any]:
        if suppressed:
            return {
                "population": None,
                "participants": None,
                "participation": None,
                "flagged_share": None,
                "suppressed": True,
            }
        return {
            "population": population,
            "participants": participants,
            "participation": _share(participants, population),
            "flagged_share": _share(flagged, participants),
            "suppressed": False,
        }

    rows = [{group_by: key, **row(*cells[i], i in hidden.cells)} for i, key in enumerate(keys)]
    total = row(
        len(everyone),
        len(total_participants),
        sum(checked[c] for c in total_participants),
        0 in hidden.totals,
    )
    return {"group_by": [group_by], "min_group": k, "rows": rows, "total": total}
