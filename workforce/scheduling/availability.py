"""A contractor's weekly availability: windows in their local wall time.

A window is ``{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}`` (0 = Monday), with
``start < end`` on the same local day; ``"24:00"`` is the midnight that ends the day. An
overnight window is written as two: Monday 22:00–24:00 and Tuesday 00:00–06:00; windows
that touch join, so a shift from Monday 22:00 to Tuesday 06:00 lies inside them. Windows of
one weekday may touch but not overlap, and a contractor has at most :data:`MAX_WINDOWS`.

A contractor without windows is available at any time. A shift lies inside the windows
when every instant of it falls in some window, each window placed on the local dates the
shift crosses and turned into UTC on that date: 09:00–17:00 stays 09:00–17:00 local in a
DST week (eight real hours; a window spanning the change itself is an hour shorter or
longer). Outside → :data:`OUTSIDE_AVAILABILITY`, which ops may override with a reason
(:mod:`workforce.scheduling.enforcement`).

Changing the windows (:func:`set_windows`) saves them and re-checks the contractor's future
planned (``scheduled``) shifts with the same test: those now outside are returned as
:class:`PlannedOutside` (the ``conflicts`` of ``PUT /me/availability``), listed in the audit
row, and announced to ops (notification ``availability.conflicts``) so someone can find
cover or agree an exception. Nothing is cancelled: the shifts stay the contractor's until
ops move them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import InvalidInput, NotFound
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.scheduling.models import AvailabilityWindow
from workforce.scheduling.patterns import local_to_utc
from workforce.scheduling.rules import Interval, RuleBreach
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone

__all__ = [
    "MAX_WINDOWS",
    "OUTSIDE_AVAILABILITY",
    "PlannedOutside",
    "Window",
    "availability_breaches",
    "get_windows",
    "planned_outside",
    "set_windows",
    "windows_by_contractor",
]

OUTSIDE_AVAILABILITY = "outside_availability"
#: At most this many windows per contractor (four a day).
MAX_WINDOWS = 28
_DAY = 24 * 60
_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")


@dataclass(frozen=True, order=True)
class Window:
    """``[start_minute, end_minute)`` minutes from local midnight of ``weekday``."""

    weekday: int
    start_minute: int
    end_minute: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "start": _hhmm(self.start_minute),
            "end": _hhmm(self.end_minute),
        }


@dataclass(frozen=True)
class PlannedOutside:
    """A planned shift of the contractor that lies outside their windows."""

    shift_id: int
    queue_id: int
    queue: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_start: dt.datetime
    local_end: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "shift_id": self.shift_id,
            "queue_id": self.queue_id,
            "queue": self.queue,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "local_start": self.local_start,
            "local_end": self.local_end,
        }


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minute(text: str, field: str, *, end: bool) -> int:
    found = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise InvalidInput.field(field, "must be a local time HH:MM")
    hours, minutes = int(found.group(1)), int(found.group(2))
    if end and (hours, minutes) == (24, 0):
        return _DAY
    if hours > 23 or minutes > 59:
        raise InvalidInput.field(field, "must be from 00:00 to 23:59 (or 24:00 as an end)")
    return hours * 60 + minutes


def parse_windows(raw: Sequence[Mapping[str, Any]]) -> list[Window]:
    """Validate windows as sent (``{"weekday", "start", "end"}``), sorted; 422 naming the
    field (``windows.<n>.end``) on the first problem."""
    if len(raw) > MAX_WINDOWS:
        raise InvalidInput.field("windows", f"at most {MAX_WINDOWS} windows")
    windows: list[tuple[Window, int]] = []
    for n, item in enumerate(raw):
        start = _minute(item["start"], f"windows.{n}.start", end=False)
        end = _minute(item["end"], f"windows.{n}.end", end=True)
        if end <= start:
            raise InvalidInput.field(
                f"windows.{n}.end",
                "must be after start; write an overnight window as two (22:00-24:00, then "
                "00:00-06:00 the next day)",
            )
        windows.append((Window(item["weekday"], start, end), n))
    windows.sort()
    for (a, _), (b, n) in zip(windows, windows[1:], strict=False):
        if a.weekday == b.weekday and b.start_minute < a.end_minute:
            raise InvalidInput.field(f"windows.{n}.start", "overlaps another window of the day")
    return [w for w, _ in windows]


def get_windows(session: Session, contractor_id: int) -> list[Window]:
    rows = session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.contractor_id == contractor_id)
    ).all()
    return sorted(Window(r.weekday, r.start_minute, r.end_minute) for r in rows)


def windows_by_contractor(session: Session) -> dict[int, list[Window]]:
    """Everyone's windows in one query (the cover finder); absent: available at any time."""
    windows: dict[int, list[Window]] = {}
    for row in session.scalars(select(AvailabilityWindow)):
        windows.setdefault(row.contractor_id, []).append(
            Window(row.weekday, row.start_minute, row.end_minute)
        )
    return {contractor_id: sorted(found) for contractor_id, found in windows.items()}


def set_windows(
    session: Session,
    contractor_id: int,
    raw: Sequence[Mapping[str, Any]],
    now: dt.datetime | None = None,
) -> tuple[list[Window], list[PlannedOutside]]:
    """Replace the contractor's windows (an empty list: available at any time) and return
    them with the future planned shifts now outside them (:func:`planned_outside`).

    Those shifts are not cancelled: the audit row lists them and ops are told (one
    ``availability.conflicts`` notice per set of shifts left outside)."""
    windows = parse_windows(raw)
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound(f"contractor {contractor_id} does not exist")
    now = now or utcnow()
    session.execute(
        delete(AvailabilityWindow).where(AvailabilityWindow.contractor_id == contractor_id)
    )
    session.add_all(
        AvailabilityWindow(
            contractor_id=contractor_id,
            weekday=w.weekday,
            start_minute=w.start_minute,
            end_minute=w.end_minute,
        )
        for w in windows
    )
    session.flush()
    outside = planned_outside(session, contractor, windows, now)
    audit.record(
        session,
        "availability.set",
        "contractor",
        contractor_id,
        {
            "windows": [w.as_dict() for w in windows],
            "planned_outside": [p.shift_id for p in outside],
        },
    )
    if outside:
        notify_once(
            session,
            kind="availability.conflicts",
            audience="ops",
            # once per set of shifts: saving the same windows again tells nobody twice
            dedupe_key=f"availability:{contractor_id}:conflicts:{_shift_set(outside)}",
            payload={
                "contractor_id": contractor_id,
                "shifts": [
                    {
                        "shift_id": p.shift_id,
                        "queue_id": p.queue_id,
                        "starts_at": p.starts_at.isoformat(),
                        "ends_at": p.ends_at.isoformat(),
                    }
                    for p in outside
                ],
            },
            contractor_id=contractor_id,
        )
    return windows, outside


def _shift_set(outside: Sequence[PlannedOutside]) -> str:
    """A short digest of which shifts, at which times, lie outside."""
    key = ",".join(
        f"{p.shift_id}@{p.starts_at.isoformat()}" for p in sorted(outside, key=lambda p: p.shift_id)
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def planned_outside(
    session: Session, contractor: Contractor, windows: Sequence[Window], now: dt.datetime
) -> list[PlannedOutside]:
    """The contractor's ``scheduled`` shifts starting after ``now`` that lie outside
    ``windows`` (:func:`availability_breaches`, as enforcement checks a new shift), earliest
    first; none when no windows are set."""
    if not windows:
        return []
    tz = load_zone(contractor.timezone)
    rows = session.execute(
        select(Shift.id, Shift.starts_at, Shift.ends_at, Queue.id, Queue.name)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            Shift.contractor_id == contractor.id,
            Shift.status == "scheduled",
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    return [
        PlannedOutside(
            shift_id,
            queue_id,
            queue_name,
            starts_at,
            ends_at,
            starts_at.astimezone(tz),
            ends_at.astimezone(tz),
        )
        for shift_id, starts_at, ends_at, queue_id, queue_name in rows
        if availability_breaches(Interval(starts_at, ends_at, shift_id), windows, tz)
    ]


def _instances(
    windows: Sequence[Window], first: dt.date, last: dt.date, tz: dt.tzinfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each window placed on each local date from ``first`` to ``last``, in UTC, merged."""
    placed: list[tuple[dt.datetime, dt.datetime]] = []
    day = first
    while day <= last:
        midnight = dt.datetime.combine(day, dt.time())
        for w in windows:
            if w.weekday == day.weekday():
                placed.append(
                    (
                        local_to_utc(midnight + dt.timedelta(minutes=w.start_minute), tz),
                        local_to_utc(midnight + dt.timedelta(minutes=w.end_minute), tz),
                    )
                )
        day += dt.timedelta(days=1)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(placed):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_inside(candidate: Interval, windows: Sequence[Window], tz: dt.tzinfo) -> bool:
    """True when no windows are set or every instant of the candidate lies in one."""
    if not windows:
        return True
    start, end = candidate.start.astimezone(dt.UTC), candidate.end.astimezone(dt.UTC)
    first = start.astimezone(tz).date() - dt.timedelta(days=1)
    last = end.astimezone(tz).date()
    return any(lo <= start and end <= hi for lo, hi in _instances(windows, first, last, tz))


def availability_breaches(
    candidate: Interval, windows: Sequence[Window], tz: dt.tzinfo
) -> list[RuleBreach]:
    """``[outside_availability]`` when the candidate is not inside the windows, else ``[]``."""
    if is_inside(candidate, windows, tz):
        return []
    return [
        RuleBreach(
            OUTSIDE_AVAILABILITY,
            "The shift lies outside the contractor's weekly availability.",
            {"availability": [w.as_dict() for w in windows]},
        )
    ]
