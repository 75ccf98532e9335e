"""RFC 5545 (iCalendar) feed of a contractor's shifts, written by hand.

Written rather than built with a library so the output is small, stable byte for byte and
has no runtime dependency; the tests parse it with ``icalendar`` as an independent check.

Times are written in the contractor's zone (``DTSTART;TZID=...``) so calendar apps show
the agreed wall time, with a ``VTIMEZONE`` generated from the zoneinfo database for the
span of the events. One exception: RFC 5545 §3.3.5 resolves a repeated local time to its
*first* occurrence, so an instant in the second half of a DST fold is written in UTC.
Seconds are kept, microseconds are dropped (iCalendar has no sub-second times).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workforce.errors import InvalidInput

__all__ = ["PRODID", "CalendarEvent", "escape_text", "fold_line", "render_calendar"]

PRODID = "-//Workforce//Schedule//EN"
MAX_LINE_OCTETS = 75
CRLF = "\r\n"

#: DST zones change at least yearly; a longer look-back finds the observance in force
_LOOKBACK = timedelta(days=400)
#: sampling step when searching for transitions; real ones are months apart, and two
#: within a day that cancel out (the only kind a daily probe misses) do not occur
_STEP = timedelta(days=1)
#: CTLs other than TAB (and LF, escaped as ``\n``) are not allowed in TEXT values
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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


@dataclass(frozen=True)
class _Observance:
    offset: timedelta
    is_dst: bool
    name: str


@dataclass(frozen=True)
class _Transition:
    at: datetime  # UTC instant
    before: _Observance
    after: _Observance


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11); other control characters are dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold one content line into ≤ 75-octet physical lines, never inside a UTF-8 char."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > MAX_LINE_OCTETS:
            parts.append("".join(current))
            current, size = [" "], 1  # the continuation's leading space counts too
        current.append(char)
        size += width
    parts.append("".join(current))
    return CRLF.join(parts)


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local_stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"  # "-0000" is forbidden, so zero is "+0000"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _observance(tz: tzinfo, epoch_seconds: int) -> _Observance:
    local = datetime.fromtimestamp(epoch_seconds, UTC).astimezone(tz)
    return _Observance(local.utcoffset() or timedelta(0), bool(local.dst()), local.tzname() or "")


def _transitions(tz: tzinfo, lo: datetime, hi: datetime) -> Iterator[_Transition]:
    # zoneinfo has no public transition table: sample, then bisect each change to the
    # second (tzdata transitions fall on whole seconds, so integers keep it exact).
    step = int(_STEP.total_seconds())
    at, end = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    state = _observance(tz, at)
    while at < end:
        probe = min(at + step, end)
        if _observance(tz, probe) == state:
            at = probe
            continue
        low, high = at, probe
        while high - low > 1:
            mid = (low + high) // 2
            if _observance(tz, mid) == state:
                low = mid
            else:
                high = mid
        after = _observance(tz, high)
        yield _Transition(datetime.fromtimestamp(high, UTC), state, after)
        at, state = high, after


def _vtimezone(tz_name: str, tz: tzinfo, lo: datetime, hi: datetime) -> list[str]:
    found = list(_transitions(tz, lo - _LOOKBACK, hi))
    # keep the last transition at or before ``lo`` (the observance in force) and the rest
    earlier = [t for t in found if t.at <= lo]
    relevant = earlier[-1:] + [t for t in found if t.at > lo]
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz_name}"]
    if not relevant:
        # no change in range (or no DST at all): one STANDARD observance from the epoch
        obs = _observance(tz, math.floor(lo.timestamp()))
        onset = "19700101T000000" if lo.year >= 1970 else "16010101T000000"
        relevant_lines = _observance_lines("STANDARD", onset, obs.offset, obs)
        return [*lines, *relevant_lines, "END:VTIMEZONE"]
    for tr in relevant:
        kind = "DAYLIGHT" if tr.after.is_dst else "STANDARD"
        # DTSTART is the onset in the local time in force *before* the change (§3.6.5)
        onset = _local_stamp((tr.at + tr.before.offset).replace(tzinfo=None))
        lines += _observance_lines(kind, onset, tr.before.offset, tr.after)
    return [*lines, "END:VTIMEZONE"]


def _observance_lines(kind: str, onset: str, offset_from: timedelta, obs: _Observance) -> list[str]:
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{onset}",
        f"TZOFFSETFROM:{_offset(offset_from)}",
        f"TZOFFSETTO:{_offset(obs.offset)}",
        f"TZNAME:{escape_text(obs.name)}",
        f"END:{kind}",
    ]


def _date_time(prop: str, moment: datetime, tz_name: str, tz: tzinfo) -> str:
    # Through UTC: astimezone() to the zone a value already has keeps its wall time, even a
    # wall time the clock skips (02:30 on a spring-forward day), which would be written as is.
    local = moment.astimezone(UTC).astimezone(tz)
    repeated = local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
    if repeated:  # a TZID form would mean the first occurrence; UTC is unambiguous
        return f"{prop}:{_utc_stamp(moment)}"
    return f"{prop};TZID={tz_name}:{_local_stamp(local)}"


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def _check_event(event: CalendarEvent) -> None:
    for what in ("start", "end", "last_modified"):
        _require_aware(getattr(event, what), f"CalendarEvent.{what}")
    if event.sequence < 0:
        raise ValueError("CalendarEvent.sequence must not be negative")


def _vevent(event: CalendarEvent, tz_name: str, tz: tzinfo, stamp: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        _date_time("DTSTART", event.start, tz_name, tz),
        _date_time("DTEND", event.end, tz_name, tz),
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        f"SEQUENCE:{event.sequence}",
        f"LAST-MODIFIED:{_utc_stamp(event.last_modified)}",
        "STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED",
        "END:VEVENT",
    ]


def render_calendar(name: str, tz_name: str, events: Sequence[CalendarEvent], now: datetime) -> str:
    """Render a published calendar (``METHOD:PUBLISH``) with CRLF line endings.

    ``tz_name`` is an IANA zone; an unknown one raises ``InvalidInput`` on ``timezone``.
    ``now`` (aware) becomes every event's ``DTSTAMP``. Cancelled events stay in the feed
    with ``STATUS:CANCELLED`` so subscribed clients remove them.
    """
    _require_aware(now, "now")
    for event in events:  # before comparing them: naive and aware datetimes do not mix
        _check_event(event)
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.field("timezone", f"Unknown time zone {tz_name!r}.") from None
    if events:
        # in UTC: datetimes sharing a tzinfo compare by wall clock, ignoring DST folds
        lo = min(e.start.astimezone(UTC) for e in events)
        hi = max(max(e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in events)
    else:
        lo = hi = now
    stamp = _utc_stamp(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{escape_text(tz_name)}",
        *_vtimezone(tz_name, tz, lo.astimezone(UTC), hi.astimezone(UTC)),
    ]
    for event in events:
        lines += _vevent(event, tz_name, tz, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)
