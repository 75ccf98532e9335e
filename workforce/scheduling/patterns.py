"""Bulk planning: expand a weekly pattern of local shifts into UTC instants.

A contractor's shift is agreed in *their* wall-clock time ("Mondays 09:00 in New York"), so
the local start stays fixed across DST changes and the UTC instant moves instead.
Two wall times need a rule because they do not map to exactly one instant:

* **gap** (spring forward, e.g. 02:30 on the US change day never happens): the shift starts
  at the first valid instant after the gap, i.e. the transition itself (03:00 local).
* **fold** (fall back, e.g. 01:30 happens twice): the first occurrence (``fold=0``).

Durations are real elapsed time, so a 8 h shift over a change still lasts 8 h.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from workforce.errors import InvalidInput

#: a year, leap or not, fits; longer plans are almost certainly a typo in ``until``
MAX_RANGE_DAYS = 366
MAX_DURATION = timedelta(hours=24)

__all__ = ["MAX_DURATION", "MAX_RANGE_DAYS", "expand_weekly_pattern", "local_to_utc"]


def local_to_utc(wall: datetime, tz: tzinfo) -> datetime:
    """Resolve a naive local wall time in ``tz`` to one aware UTC instant.

    A time in a fold resolves to its first occurrence; a time in a gap resolves to the
    first valid instant after it (the transition instant).
    """
    if wall.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive wall-clock datetime")
    utc = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return utc
    return _end_of_gap(wall, tz)


def _end_of_gap(wall: datetime, tz: tzinfo) -> datetime:
    # In a gap, PEP 495 gives the pre-transition offset for fold=0 and the post-transition
    # one for fold=1. The transition instant T lies between ``wall - after`` and
    # ``wall - before``; it is the first instant whose local time is later than ``wall``.
    # zoneinfo exposes no transition table, so bisect (about 32 steps to the microsecond).
    before = wall.replace(tzinfo=tz, fold=0).utcoffset() or timedelta(0)
    after = wall.replace(tzinfo=tz, fold=1).utcoffset() or timedelta(0)
    lo, hi = sorted((wall - after, wall - before))

    def is_past_gap(naive_utc: datetime) -> bool:
        local = naive_utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
        return local > wall

    if is_past_gap(lo) or not is_past_gap(hi):  # not a single simple gap: be conservative
        return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    step = timedelta(microseconds=1)
    while hi - lo > step:
        mid = lo + (hi - lo) / 2
        if is_past_gap(mid):
            hi = mid
        else:
            lo = mid
    return hi.replace(tzinfo=UTC)


def _validate(
    days_of_week: Sequence[int],
    local_start: time,
    duration: timedelta,
    start_date: date,
    until: date,
) -> None:
    if len(days_of_week) == 0:
        raise InvalidInput.field("days_of_week", "Choose at least one day of the week.")
    for day in days_of_week:
        # bool is an int subclass; True as "Tuesday" is a client bug, not a day
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise InvalidInput.field("days_of_week", "Days are numbered 0 (Monday) to 6 (Sunday).")
    if len(set(days_of_week)) != len(days_of_week):
        raise InvalidInput.field("days_of_week", "Each day may appear only once.")
    if local_start.tzinfo is not None:
        raise InvalidInput.field("local_start", "Give a local wall time without a UTC offset.")
    if duration <= timedelta(0):
        raise InvalidInput.field("duration", "A shift must last longer than zero.")
    if duration > MAX_DURATION:
        raise InvalidInput.field("duration", "A shift may last at most 24 hours.")
    if until < start_date:
        raise InvalidInput.field("until", "The end date is before the start date.")
    if (until - start_date).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput.field("until", f"A pattern may cover at most {MAX_RANGE_DAYS} days.")


def expand_weekly_pattern(
    days_of_week: Sequence[int],
    local_start: time,
    duration: timedelta,
    start_date: date,
    until: date,
    tz: tzinfo,
) -> list[tuple[datetime, datetime]]:
    """Return ``(starts_at, ends_at)`` in UTC for each matching day, oldest first.

    ``days_of_week`` uses 0=Monday..6=Sunday; ``start_date`` and ``until`` are inclusive
    local dates (at most 366 days). Each shift starts at ``local_start`` on its local date
    (see the module docstring for DST gaps and folds) and lasts exactly ``duration``.
    Raises ``InvalidInput`` naming the offending field.
    """
    _validate(days_of_week, local_start, duration, start_date, until)
    wanted = frozenset(days_of_week)
    shifts: list[tuple[datetime, datetime]] = []
    # count days rather than step past ``until``: date.max + 1 day would overflow
    for offset in range((until - start_date).days + 1):
        day = start_date + timedelta(days=offset)
        if day.weekday() in wanted:
            starts_at = local_to_utc(datetime.combine(day, local_start), tz)
            shifts.append((starts_at, starts_at + duration))
    return shifts
