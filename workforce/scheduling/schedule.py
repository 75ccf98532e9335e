"""A contractor's schedule: their shifts in their own time zone and language.

Each entry adds to the shift its local start and end (with the UTC offset then in force),
the zone, the queue's name, the public holiday it falls on, the local days it covers (a
shift over midnight has two pieces; a DST change makes a day 23 or 25 hours long) and
``display`` strings formatted by Babel in the contractor's locale, e.g. for ``sw_KE``::

    Jumamosi, 12 Desemba 2026, 09:00–17:00

A shift that ends on a later local date shows both dates
(``Ijumaa, 11 Desemba 2026, 22:00 – Jumamosi, 12 Desemba 2026, 06:00``); one during which
the clock changes shows each time's offset (``01:00 (GMT-04:00)–09:00 (GMT-05:00)``), so an
8-hour shift over the autumn change does not read as 8 hours when it is 9.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_gmt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.contractors.services import get_contractor
from workforce.errors import InvalidInput
from workforce.holidays import HolidayLookup, holiday_lookup
from workforce.i18n import parse_locale
from workforce.queues.models import Queue
from workforce.scheduling.enforcement import EARLIEST, LATEST, MAX_SHIFT
from workforce.scheduling.patterns import MAX_RANGE_DAYS
from workforce.scheduling.queries import takeable_open_shift_ids
from workforce.shifts.models import Shift
from workforce.timeutil import (
    load_zone,
    local_date,
    local_day_bounds,
    local_week_start,
    split_by_local_day,
)

__all__ = [
    "DEFAULT_DAYS",
    "Display",
    "ScheduleRange",
    "display",
    "open_shifts",
    "schedule",
    "schedule_range",
]

#: Without ``from``/``to``: this local week and the next.
DEFAULT_DAYS = 14


@dataclass(frozen=True)
class ScheduleRange:
    start: dt.date
    end: dt.date  # inclusive


@dataclass(frozen=True)
class Display:
    date: str
    start: str
    end: str
    text: str


def schedule_range(today: dt.date, start: dt.date | None, end: dt.date | None) -> ScheduleRange:
    """``from``/``to`` as given, or this local week and the next; at most 366 days."""
    for field, day in (("from", start), ("to", end)):
        if day is not None and not EARLIEST.date() <= day < LATEST.date():
            raise InvalidInput.field(field, "must be between 2000-01-01 and 2099-12-31")
    span = dt.timedelta(days=DEFAULT_DAYS - 1)
    if start is None:
        start = local_week_start(today) if end is None else end - span
    if end is None:
        end = start + span
    if end < start:
        raise InvalidInput.field("to", "must not be before from")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput.field("to", f"a schedule covers at most {MAX_RANGE_DAYS} days")
    return ScheduleRange(start, end)


def display(local_start: dt.datetime, local_end: dt.datetime, locale: Locale) -> Display:
    """Localized strings for a shift from ``local_start`` to ``local_end`` (aware, local)."""
    start_date = local_start.date()
    # a shift ending at midnight ends on its own day: 16:00–00:00, not "to tomorrow 00:00"
    end_date = (local_end - dt.timedelta(microseconds=1)).date()
    if end_date < start_date:
        end_date = start_date
    start_time = format_time(local_start, "short", tzinfo=local_start.tzinfo, locale=locale)
    end_time = format_time(local_end, "short", tzinfo=local_end.tzinfo, locale=locale)
    if local_start.utcoffset() != local_end.utcoffset():
        start_time += f" ({get_timezone_gmt(local_start, 'long', locale=locale)})"
        end_time += f" ({get_timezone_gmt(local_end, 'long', locale=locale)})"
    day = format_date(start_date, "full", locale=locale)
    if end_date == start_date:
        text = f"{day}, {start_time}–{end_time}"
    else:
        last_day = format_date(end_date, "full", locale=locale)
        text = f"{day}, {start_time} – {last_day}, {end_time}"
    return Display(day, start_time, end_time, text)


def entry(
    shift: Shift,
    queue: Queue,
    tz_name: str,
    locale: Locale,
    holidays: HolidayLookup,
) -> dict[str, Any]:
    """One schedule entry (the fields of the shift plus local times and display)."""
    tz = load_zone(tz_name)
    local_start = shift.starts_at.astimezone(tz)
    local_end = shift.ends_at.astimezone(tz)
    days = []
    for day, start, end in split_by_local_day(shift.starts_at, shift.ends_at, tz):
        days.append(
            {
                "date": day,
                "local_start": start.astimezone(tz),
                "local_end": end.astimezone(tz),
                "seconds": int((end - start).total_seconds()),
                "holiday": holidays(day),
            }
        )
    holiday = next((d["holiday"] for d in days if d["holiday"]), None)
    return {
        "id": shift.id,
        "contractor_id": shift.contractor_id,
        "queue_id": shift.queue_id,
        "queue": queue.name,
        "queue_slug": queue.slug,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "status": shift.status,
        "clock_in_at": shift.clock_in_at,
        "clock_out_at": shift.clock_out_at,
        "local_start": local_start,
        "local_end": local_end,
        "timezone": tz_name,
        "holiday": holiday,
        "days": days,
        "display": display(local_start, local_end, locale),
    }


def schedule(
    session: Session,
    contractor_id: int,
    *,
    start: dt.date | None,
    end: dt.date | None,
    locale: str | None,
    include_cancelled: bool,
    page: int,
    page_size: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """A page of the contractor's shifts that touch local days ``start``..``end``."""
    contractor: Contractor = get_contractor(session, contractor_id)
    chosen = parse_locale(locale) if locale else parse_locale(contractor.locale)
    tz = load_zone(contractor.timezone)
    days = schedule_range(local_date(now, tz), start, end)
    lo = local_day_bounds(days.start, tz)[0]
    hi = local_day_bounds(days.end, tz)[1]
    stmt = (
        select(Shift, Queue)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            Shift.contractor_id == contractor.id,
            Shift.starts_at < hi,
            Shift.starts_at >= lo - MAX_SHIFT,
            Shift.ends_at > lo,
        )
    )
    if not include_cancelled:
        stmt = stmt.where(Shift.status != "cancelled")
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Shift.starts_at, Shift.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    holidays = holiday_lookup(contractor.country, contractor.subdivision, chosen)
    return {
        "contractor_id": contractor.id,
        "timezone": contractor.timezone,
        "locale": str(chosen),
        "from": days.start,
        "to": days.end,
        "items": [entry(s, q, contractor.timezone, chosen, holidays) for s, q in rows],
        "page": page,
        "page_size": page_size,
        "total": total,
    }


#: The columns of a shift an open-shift entry keeps besides the schedule's own.
_SHIFT_COLUMNS = (
    "sequence",
    "needs_cover",
    "cancel_reason",
    "override_reason",
    "pattern_id",
    "correction_reason",
    "corrected_at",
    "created_at",
    "updated_at",
)


def open_shifts(
    session: Session,
    contractor_id: int,
    *,
    locale: str | None,
    page: int,
    page_size: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """A page of the future open shifts the contractor may claim
    (:func:`~workforce.scheduling.queries.takeable_open_shift_ids`: eligible queues, inside
    their availability, off their approved time off), each as a schedule entry:
    local times in their zone, the queue's name, the public holiday of their country it
    falls on and ``display`` in their language (or ``locale``), as :func:`schedule` gives."""
    contractor: Contractor = get_contractor(session, contractor_id)
    chosen = parse_locale(locale) if locale else parse_locale(contractor.locale)
    takeable = takeable_open_shift_ids(session, contractor.id, now)
    total = len(takeable)
    chosen_ids = takeable[(page - 1) * page_size : page * page_size]
    shifts = session.scalars(
        select(Shift).where(Shift.id.in_(chosen_ids)).order_by(Shift.starts_at, Shift.id)
    ).all()
    queue_ids = {shift.queue_id for shift in shifts}
    queues = {q.id: q for q in session.scalars(select(Queue).where(Queue.id.in_(queue_ids)))}
    holidays = holiday_lookup(contractor.country, contractor.subdivision, chosen)
    items = [
        {
            **{name: getattr(shift, name) for name in _SHIFT_COLUMNS},
            **entry(shift, queues[shift.queue_id], contractor.timezone, chosen, holidays),
        }
        for shift in shifts
    ]
    return {
        "contractor_id": contractor.id,
        "timezone": contractor.timezone,
        "locale": str(chosen),
        "items": items,
        "page": page,
        "page_size": page_size,
        "total": total,
    }
