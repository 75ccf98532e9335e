"""RFC 5545 (iCalendar) feed of a contractor's shifts, built with the ``icalendar`` package.

``icalendar`` writes the components, escapes TEXT values, folds lines at 75 octets (never
inside a UTF-8 character) and generates the ``VTIMEZONE`` from the zoneinfo database
(:meth:`icalendar.Timezone.from_tzinfo`) for the days the events span.

Times are written in the contractor's zone (``DTSTART;TZID=...``) so calendar apps show
the agreed wall time. One exception: RFC 5545 §3.3.5 resolves a repeated local time to its
*first* occurrence, so an instant in the second half of a DST fold is written in UTC.
Seconds are kept, microseconds are dropped (iCalendar has no sub-second times).

Its VTIMEZONE dates a spring-forward onset at the first wall time after the skipped hour
(03:00, where RFC 5545 would write 02:00): no wall time lies between the two, so every
local time in the feed resolves the same (the tests check it with dateutil's ``tzical``).

Known limit of ``icalendar`` 7.3 (it treats ``\\N`` in a TEXT value as the newline escape
before escaping): a backslash followed by a capital ``N`` in a queue or holiday name comes
out as a line break.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vText

from workforce.timeutil import load_zone

__all__ = ["PRODID", "CalendarEvent", "render_calendar"]

PRODID = "-//Workforce//Schedule//EN"

#: CTLs other than TAB and line breaks are not allowed in TEXT values: they are dropped
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    """One shift as a ``VEVENT``; ``uid`` must stay stable across edits of the shift."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    sequence: int
    cancelled: bool
    last_modified: datetime


def _text(value: str) -> str:
    # icalendar escapes \ ; , and turns CRLF, CR and LF into "\n"
    return _CONTROL.sub("", value)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    # Through UTC: astimezone() to the zone a value already has keeps its wall time, even a
    # wall time the clock skips (02:30 on a spring-forward day), which would be written as is.
    local = moment.astimezone(UTC).astimezone(tz).replace(microsecond=0)
    if local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset():
        return _utc(moment)  # a TZID form would mean the first occurrence; UTC is unambiguous
    return local


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def _check_event(event: CalendarEvent) -> None:
    for what in ("start", "end", "last_modified"):
        _require_aware(getattr(event, what), f"CalendarEvent.{what}")
    if event.sequence < 0:
        raise ValueError("CalendarEvent.sequence must not be negative")


def _vevent(event: CalendarEvent, tz: ZoneInfo, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("UID", _text(event.uid))
    vevent.add("DTSTAMP", stamp)
    vevent.add("DTSTART", _local(event.start, tz))
    vevent.add("DTEND", _local(event.end, tz))
    vevent.add("SUMMARY", _text(event.summary))
    vevent.add("DESCRIPTION", _text(event.description))
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("LAST-MODIFIED", _utc(event.last_modified))
    vevent.add("STATUS", "CANCELLED" if event.cancelled else "CONFIRMED")
    return vevent


def _vtimezone(tz_name: str, tz: ZoneInfo, days: tuple[date, date]) -> Timezone:
    """The zone's observances from local midnight of ``days[0]`` to that of ``days[1]``."""
    vtimezone = Timezone.from_tzinfo(tz, tz_name, first_date=days[0], last_date=days[1])
    vtimezone.pop("COMMENT", None)  # "only works from ... to ...": true of any feed's span
    return vtimezone


def render_calendar(name: str, tz_name: str, events: Sequence[CalendarEvent], now: datetime) -> str:
    """Render a published calendar (``METHOD:PUBLISH``) with CRLF line endings.

    ``tz_name`` is an IANA zone; an unknown one raises ``InvalidInput`` on ``timezone``.
    ``now`` (aware) becomes every event's ``DTSTAMP``. Cancelled events stay in the feed
    with ``STATUS:CANCELLED`` so subscribed clients remove them.
    """
    _require_aware(now, "now")
    for event in events:  # before comparing them: naive and aware datetimes do not mix
        _check_event(event)
    tz = load_zone(tz_name)
    # in UTC: datetimes sharing a tzinfo compare by wall clock, ignoring DST folds
    instants = [_utc(m) for e in events for m in (e.start, e.end)] or [_utc(now)]
    # a day's margin each side: the span starts and ends at local midnight
    days = (
        min(instants).astimezone(tz).date() - timedelta(days=1),
        max(instants).astimezone(tz).date() + timedelta(days=2),
    )
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    # vText: an X- property is not known to be TEXT, so it would not be escaped
    calendar.add("X-WR-CALNAME", vText(_text(name)))
    calendar.add("X-WR-TIMEZONE", vText(tz_name))
    calendar.add_component(_vtimezone(tz_name, tz, days))
    stamp = _utc(now)
    for event in events:
        calendar.add_component(_vevent(event, tz, stamp))
    return calendar.to_ical(sorted=False).decode("utf-8")
