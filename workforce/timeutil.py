"""Aware datetimes: stored in UTC, reasoned about in the contractor's own zone.

Local boundaries (midnight, the start and end of the night window) are wall-clock times.
Around a DST change a wall time may happen twice (fall back) or never (spring forward),
so a boundary is never computed as "UTC midnight + offset". Instead every wall time is
resolved through ``zoneinfo`` with both ``fold`` values, and when it falls into a gap or a
fold the exact instant of the transition is located as well. The interval is cut at all
of those instants and each piece is labelled from its own local start, so the pieces tile
the interval exactly and each is wholly on one local date and wholly night or day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from workforce.errors import InvalidInput

__all__ = [
    "DEFAULT_NIGHT_END",
    "DEFAULT_NIGHT_START",
    "Segment",
    "load_zone",
    "local_date",
    "local_day_bounds",
    "local_week_start",
    "require_aware",
    "split_by_local_day",
    "split_by_windows",
]

DEFAULT_NIGHT_START = time(22, 0)
DEFAULT_NIGHT_END = time(6, 0)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# IANA keys: "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "America/Port-au-Prince".
_ZONE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}")
# Present in some tz directories but not a place: the host's own setting, a template
# file, and tzdata's "zone not configured" placeholder.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a worked interval: one local date, wholly night or wholly day.

    ``start``/``end`` are UTC; ``seconds`` counts whole seconds on a clock truncated to the
    second, so the ``seconds`` of consecutive segments always add up to the whole interval.
    """

    start: datetime
    end: datetime
    local_date: date
    night: bool
    holiday: str | None
    seconds: int


def require_aware(dt: datetime, field: str) -> datetime:
    """Return ``dt`` in UTC; a naive datetime raises ``InvalidInput`` for ``field``."""
    if not isinstance(dt, datetime):
        raise InvalidInput.field(field, "must be a date-time")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InvalidInput.field(field, "must include a UTC offset")
    return dt.astimezone(UTC)


@cache
def _known_zones() -> frozenset[str]:
    # available_timezones() walks the tz directories; do it once per process.
    return frozenset(available_timezones()) - _NOT_PLACES


def load_zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone ``name`` (e.g. ``"Africa/Nairobi"``); anything else raises
    ``InvalidInput`` for ``field``. Names are matched exactly: no paths, no padding."""
    if (
        not isinstance(name, str)
        or len(name) > 64
        or not _ZONE_KEY.fullmatch(name)
        or name not in _known_zones()
    ):
        raise InvalidInput.field(field, f"{name!r} is not a known IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: e.g. a directory
        raise InvalidInput.field(field, f"{name!r} is not a known IANA time zone") from exc


def _utc(dt: datetime, name: str) -> datetime:
    # Internal callers must have validated input with require_aware(); a naive value here
    # is a bug, not a user error.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return dt.astimezone(UTC)


def local_date(at: datetime, tz: tzinfo) -> date:
    """The calendar date on the wall clock of ``tz`` at the instant ``at``."""
    return _utc(at, "at").astimezone(tz).date()


def local_week_start(day: date) -> date:
    """Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def to_us(dt: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    return (dt - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _transition_between(lo: datetime, hi: datetime, tz: tzinfo) -> datetime:
    """First instant in ``(lo, hi]`` whose UTC offset differs from ``lo``'s (bisection)."""
    before = lo.astimezone(tz).utcoffset()
    lo_us, hi_us = to_us(lo), to_us(hi)
    while hi_us - lo_us > 1:
        mid = (lo_us + hi_us) // 2
        if from_us(mid).astimezone(tz).utcoffset() == before:
            lo_us = mid
        else:
            hi_us = mid
    return from_us(hi_us)


def _instants_of_wall(day: date, at: time, tz: tzinfo) -> tuple[datetime, ...]:
    """UTC instants at which the local clock shows or skips ``day at``.

    One instant normally; in a fold both occurrences; in a gap (or a fold) also the
    transition itself, which is where the clock jumps over (or back across) the wall time.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return (first,)
    return (first, second, _transition_between(min(first, second), max(first, second), tz))


def _day_start(day: date, tz: tzinfo) -> datetime:
    instants = _instants_of_wall(day, time(0), tz)
    if len(instants) == 1:
        return instants[0]
    first, second, transition = instants
    # Fold: midnight happens twice and the day begins at the first one. Gap: midnight
    # never happens and the day begins when the clock jumps past it.
    return first if first < second else transition


def local_day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC instants of the start of local ``day`` and of the next local day.

    23 or 25 hours apart on DST days; when midnight itself is skipped the day starts at
    the transition.
    """
    return _day_start(day, tz), _day_start(day + timedelta(days=1), tz)


def _cuts(start: datetime, end: datetime, tz: tzinfo, walls: Iterable[time]) -> list[datetime]:
    """Sorted instants in ``[start, end]`` where any of ``walls`` is reached or skipped."""
    cuts = {start, end}
    walls = tuple(walls)
    # A day of slack each side: a fold can take the clock back to the previous local date
    # after start, or past the next one before end.
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for wall in walls:
            cuts.update(u for u in _instants_of_wall(day, wall, tz) if start < u < end)
        day += timedelta(days=1)
    return sorted(cuts)


def _interval(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc < start_utc:
        raise InvalidInput.field("end", "must not be before start")
    return start_utc, end_utc


def _whole_seconds(a: datetime, b: datetime) -> int:
    # Truncate each instant, not each duration: then the parts sum to the whole exactly.
    return (b - _EPOCH) // timedelta(seconds=1) - (a - _EPOCH) // timedelta(seconds=1)


def split_by_local_day(
    start: datetime, end: datetime, tz: tzinfo
) -> list[tuple[date, datetime, datetime]]:
    """Cut ``[start, end)`` at local midnights: ``(local_date, start_utc, end_utc)`` pieces."""
    return [
        (seg.local_date, seg.start, seg.end)
        for seg in split_by_windows(start, end, tz, None, None, lambda _day: None)
    ]


def _night_test(night_start: time | None, night_end: time | None) -> Callable[[time], bool]:
    if night_start is None and night_end is None:
        return lambda _t: False
    if night_start is None or night_end is None:
        raise ValueError("night_start and night_end must both be given or both be None")
    if night_start.tzinfo is not None or night_end.tzinfo is not None:
        raise ValueError("night window bounds are local wall times and must be naive")
    if night_start == night_end:
        raise ValueError("night window must not be empty")
    if night_start < night_end:
        return lambda t: night_start <= t < night_end
    # Wraps midnight, e.g. 22:00-06:00.
    return lambda t: t >= night_start or t < night_end


def split_by_windows(
    start: datetime,
    end: datetime,
    tz: tzinfo,
    night_start: time | None = DEFAULT_NIGHT_START,
    night_end: time | None = DEFAULT_NIGHT_END,
    holidays: Callable[[date], str | None] = lambda _day: None,
) -> list[Segment]:
    """Cut worked time ``[start, end)`` into :class:`Segment` s, in order.

    Cuts fall at local midnights and at the local night-window bounds (which may wrap
    midnight; ``None``/``None`` means no night window). Each segment is wholly night or
    day and lies on a single local date, whose ``holidays(date)`` name it carries.
    Adjacent pieces with the same labels are merged, so every cut is a real change.
    """
    start_utc, end_utc = _interval(start, end)
    if start_utc == end_utc:
        return []
    is_night = _night_test(night_start, night_end)
    walls = [time(0)] + [w for w in (night_start, night_end) if w is not None]
    holiday_names: dict[date, str | None] = {}

    segments: list[Segment] = []
    cuts = _cuts(start_utc, end_utc, tz, walls)
    for a, b in zip(cuts, cuts[1:], strict=False):
        local = a.astimezone(tz)
        day = local.date()
        if day not in holiday_names:
            holiday_names[day] = holidays(day)
        night = is_night(local.time())
        holiday = holiday_names[day]
        prev = segments[-1] if segments else None
        if prev is not None and (prev.local_date, prev.night) == (day, night):
            # Over-cut (e.g. a fold's second midnight that changes nothing): merge.
            a = prev.start
            segments.pop()
        segments.append(Segment(a, b, day, night, holiday, _whole_seconds(a, b)))
    return segments
