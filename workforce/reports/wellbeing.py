"""Wellbeing aggregates: check-in participation and the share flagged, by country or queue.

Only aggregates, never a person. A group's population is the contractors who worked tier >= 2
content in the bin (a shift on a tier >= 2 queue, or tier >= 2 exposure); its
``participants`` are those of them who checked in at least once in the bin, and
``flagged_share`` is the share of participants with at least one flagged check-in.

**Whole, fixed bins.** A report covers exactly one ISO week (Monday to Sunday) or one
calendar month, in UTC, that is over: any other period is 422 ``period_not_aligned``, a bin
not over yet 422 ``period_not_closed``. Free periods could be differenced: 1-4 and 2-4 Dec
differ by the people who checked in on 1 Dec, and one participant and one flag fewer is one
person's flagged screen. Bins of one kind never overlap, and a bin's check-ins stop changing
when it ends, so each bin's participants are fixed by who checked in within it.

**Suppression, per bin.** A cell (or the total) is hidden when it has fewer than ``k``
participants (:data:`suppression.MIN_K` at least), or when its participants differ by 1 to
``k - 1`` people from those of any cell with at least ``k`` participants that another
request could release over overlapping check-ins: either grouping and the total, in this
bin and in every bin of the other kind that overlaps it (the months a week touches, the
weeks a month touches). The rule is symmetric, so any two released cells over overlapping
bins have equal participants or differ by at least ``k`` people. Complementary suppression
against the published total follows (:func:`workforce.reports.suppression.suppress`).

**Frozen once over.** The first report that reads a bin after it is over stores who was in
each group and who checked in (``wellbeing_bins``); every later one reads that. Otherwise
moving a contractor to another country, or backdating a shift, would add one person to a
released cell and the two answers would differ by that person's screen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import InvalidInput
from workforce.exposure.models import ExposureDaily
from workforce.harm import ROTATED_TIER
from workforce.queues.models import Queue
from workforce.reports.evidence import day_start
from workforce.reports.models import WellbeingBin
from workforce.reports.suppression import effective_k, suppress
from workforce.shifts.models import Shift
from workforce.wellbeing.models import CheckIn

GROUPS = ("country", "queue")


WEEK, MONTH = "week", "month"
ALIGNMENT = (
    "wellbeing aggregates cover one whole ISO week (Monday to Sunday) or one calendar month, "
    "in UTC: e.g. from=2026-11-30&to=2026-12-06 or from=2026-11-01&to=2026-11-30"
)


@dataclass(frozen=True, order=True)
class Bin:
    start: dt.date
    #: The last day, inclusive.
    end: dt.date
    kind: str


def week_of(day: dt.date) -> Bin:
    start = day - dt.timedelta(days=day.weekday())
    return Bin(start, start + dt.timedelta(days=6), WEEK)


def month_of(day: dt.date) -> Bin:
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=31)).replace(day=1)
    return Bin(start, following - dt.timedelta(days=1), MONTH)


def aligned_bin(start: dt.date, end: dt.date, today: dt.date) -> Bin:
    """The week or month that ``start``..``end`` is exactly, once it is over; else 422."""
    candidates = [b for b in (week_of(start), month_of(start)) if b.start == start]
    if not candidates:
        raise InvalidInput.field("from", ALIGNMENT, code="period_not_aligned")
    found = next((b for b in candidates if b.end == end), None)
    if found is None:
        raise InvalidInput.field("to", ALIGNMENT, code="period_not_aligned")
    if found.end >= today:
        raise InvalidInput.field(
            "to",
            f"this {found.kind} ends on {found.end}: it is released once over, since its "
            "figures change with every check-in until then",
            code="period_not_closed",
        )
    return found


def overlapping(bin_: Bin) -> list[Bin]:
    """``bin_`` and every bin of the other kind that shares a day with it."""
    if bin_.kind == WEEK:
        others = {month_of(bin_.start), month_of(bin_.end)}
    else:
        others, day = set(), bin_.start
        while day <= bin_.end:
            others.add(week_of(day))
            day += dt.timedelta(days=7)
        others.add(week_of(bin_.end))
    return [bin_, *sorted(others)]


@dataclass(frozen=True)
class BinData:
    """One bin's groups (by each grouping) and who checked in (flagged or not)."""

    groups: dict[str, dict[str, frozenset[int]]]
    #: contractor id -> whether any of their check-ins in the bin was flagged
    checked: dict[int, bool]

    def participants(self, members: Iterable[int]) -> frozenset[int]:
        return frozenset(c for c in members if c in self.checked)

    def everyone(self) -> frozenset[int]:
        return frozenset().union(*self.groups["country"].values())

    def participant_sets(self) -> list[frozenset[int]]:
        """Every cell of both groupings, and the total, as sets of participants."""
        cells = [self.participants(m) for g in GROUPS for m in self.groups[g].values()]
        return [*cells, self.participants(self.everyone())]

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": {
                g: {key: sorted(m) for key, m in keys.items()} for g, keys in self.groups.items()
            },
            "checked": {str(c): flagged for c, flagged in self.checked.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BinData:
        return cls(
            {
                g: {key: frozenset(m) for key, m in keys.items()}
                for g, keys in data["groups"].items()
            },
            {int(c): bool(flagged) for c, flagged in data["checked"].items()},
        )


#: Stores a bin that is over and returns what is stored: the first computation's data, which
#: may be another request's (the API runs it in a write transaction of its own).
Freeze = Callable[[Bin, BinData], BinData]


def freeze_bin(session: Session, bin_: Bin, data: BinData) -> BinData:
    """Store ``data`` for ``bin_`` unless the bin is stored already; return the stored data.
    Two first requests racing both succeed: the second insert does nothing."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    session.execute(
        module.insert(WellbeingBin)
        .values(kind=bin_.kind, start=bin_.start, frozen_at=utcnow(), data=data.to_json())
        .on_conflict_do_nothing(index_elements=["kind", "start"])
    )
    stored = _stored(session, bin_)
    if stored is None:  # pragma: no cover - inserted above, or there already
        raise RuntimeError(f"wellbeing bin {bin_} was not stored")
    return stored


def _stored(session: Session, bin_: Bin) -> BinData | None:
    data = session.scalar(
        select(WellbeingBin.data).where(
            WellbeingBin.kind == bin_.kind, WellbeingBin.start == bin_.start
        )
    )
    return None if data is None else BinData.from_json(data)


def _data(session: Session, bin_: Bin, today: dt.date, freeze: Freeze | None) -> BinData:
    """A bin's data: as stored once it is over, else live (a bin not over is never released,
    but a week that is over is checked against the live month around it)."""
    if bin_.end >= today:
        return bin_data(session, bin_)
    stored = _stored(session, bin_)
    if stored is not None:
        return stored
    computed = bin_data(session, bin_)
    return freeze(bin_, computed) if freeze is not None else computed


def _share(part: int, whole: int) -> str | None:
    if whole == 0:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"), ROUND_HALF_UP))


def bin_data(session: Session, bin_: Bin) -> BinData:
    lo, hi = day_start(bin_.start), day_start(bin_.end + dt.timedelta(days=1))
    groups: dict[str, dict[str, set[int]]] = {g: defaultdict(set) for g in GROUPS}
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
    exposed = session.execute(
        select(ExposureDaily.contractor_id, Queue.slug, Contractor.country)
        .join(Contractor, Contractor.id == ExposureDaily.contractor_id)
        .join(Queue, Queue.id == ExposureDaily.queue_id)
        .where(
            ExposureDaily.tier >= ROTATED_TIER,
            ExposureDaily.local_day >= bin_.start,
            ExposureDaily.local_day <= bin_.end,
        )
        .distinct()
    )
    for contractor_id, slug, country in [*shifts, *exposed]:
        groups["queue"][slug].add(contractor_id)
        groups["country"][country].add(contractor_id)
    checked: dict[int, bool] = {}
    for contractor_id, flagged in session.execute(
        select(CheckIn.contractor_id, CheckIn.flagged).where(
            CheckIn.created_at >= lo, CheckIn.created_at < hi
        )
    ):
        checked[contractor_id] = checked.get(contractor_id, False) or bool(flagged)
    # Only the population's check-ins count, and only they are kept (frozen bins included).
    everyone = set().union(*groups["country"].values())
    return BinData(
        {g: {key: frozenset(m) for key, m in groups[g].items()} for g in GROUPS},
        {c: flagged for c, flagged in checked.items() if c in everyone},
    )


def wellbeing_report(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    group_by: str,
    k: int,
    today: dt.date,
    freeze: Freeze | None = None,
) -> dict[str, Any]:
    k = effective_k(k)
    bin_ = aligned_bin(start, end, today)
    data = {b: _data(session, b, today, freeze) for b in overlapping(bin_)}
    own = data[bin_]
    groups = own.groups[group_by]
    keys = sorted(groups)
    participants = [own.participants(groups[key]) for key in keys]
    everyone = own.everyone()
    total_participants = own.participants(everyone)
    # Cells another request could release over overlapping check-ins (see the docstring).
    releasable = [p for d in data.values() for p in d.participant_sets() if len(p) >= k]

    def differs_by_a_few(people: frozenset[int]) -> bool:
        return any(0 < len(people ^ other) < k for other in releasable)

    hidden = suppress(
        [len(p) for p in participants],
        k,
        [list(range(len(keys)))],
        total_contractors=[len(total_participants)],
        also_hide=[i for i, p in enumerate(participants) if differs_by_a_few(p)],
        also_hide_totals=[0] if differs_by_a_few(total_participants) else [],
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

    def flagged(people: frozenset[int]) -> int:
        return sum(own.checked[c] for c in people)

    rows = [
        {group_by: key, **row(len(groups[key]), len(p), flagged(p), i in hidden.cells)}
        for i, (key, p) in enumerate(zip(keys, participants, strict=True))
    ]
    total = row(
        len(everyone), len(total_participants), flagged(total_participants), 0 in hidden.totals
    )
    return {"group_by": [group_by], "min_group": k, "rows": rows, "total": total}
