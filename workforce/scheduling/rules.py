"""Shift rules: overlap, rest between shifts, shift length and weekly hours.

Pure functions over intervals; the service layer loads a contractor's shifts, calls
:func:`check_shift` and decides what to do with the breaches. The rules themselves are
:func:`judge`, on plain data (:class:`Around`: the overlapping shifts, the nearest ones
before and after, the time worked in each local week), so that the cover finder can ask
them of a whole workforce from SQL aggregates without a copy of them. Hour rules protect the
contractor's health but ops may override them with a reason (see :func:`is_hour_rule`);
an overlap is never overridable because one person cannot work two shifts at once.

All intervals are half-open ``[start, end)`` in aware datetimes, so a shift ending at
17:00 and one starting at 17:00 do not overlap (but their rest gap is zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, NamedTuple, NoReturn

from workforce.errors import Conflict, InvalidInput
from workforce.scheduling.patterns import local_to_utc

__all__ = [
    "HOUR_RULES",
    "Around",
    "Finding",
    "Interval",
    "RuleBreach",
    "ShiftLimits",
    "check_shift",
    "is_hour_rule",
    "judge",
    "local_weeks",
    "raise_breaches",
    "raise_first",
    "surroundings",
]

OVERLAP = "overlap"
REST_TOO_SHORT = "rest_too_short"
SHIFT_TOO_LONG = "shift_too_long"
WEEKLY_HOURS_EXCEEDED = "weekly_hours_exceeded"

#: breaches ops may override with a reason; overlap and eligibility never are
HOUR_RULES = frozenset({REST_TOO_SHORT, SHIFT_TOO_LONG, WEEKLY_HOURS_EXCEEDED})


@dataclass(frozen=True)
class ShiftLimits:
    """Limits in hours; defaults follow the EU Working Time Directive."""

    rest_hours: float = 11
    max_shift_hours: float = 12
    weekly_hours: float = 48


@dataclass(frozen=True)
class Interval:
    """A shift ``[start, end)``; ``id`` is set for stored shifts (and for an update)."""

    start: datetime
    end: datetime
    id: int | None = None


@dataclass(frozen=True)
class RuleBreach:
    """One broken rule; ``extra`` carries the measured values for the problem document."""

    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """``{"code", "detail", **extra}``, the shape used in a 409's ``breaches`` list."""
        return {"code": self.code, "detail": self.detail, **self.extra}


def is_hour_rule(code: str) -> bool:
    """True for breaches ops may override with a reason (never overlap or eligibility)."""
    return code in HOUR_RULES


def _hours(span: timedelta, rounding: str) -> str:
    # Rounded towards the breach ("10.99" for a 10 h 59 m 59 s rest, never "11.0"),
    # so the number shown to ops never contradicts the rule it is quoted for.
    micro = span // timedelta(microseconds=1)
    value = (Decimal(micro) / Decimal(3_600_000_000)).quantize(Decimal("0.01"), rounding)
    text = f"{value:f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _seconds(span: timedelta) -> int:
    return span // timedelta(seconds=1)


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # naive datetimes are a programming error here, not a client error
        raise ValueError(f"{what} must be timezone-aware")


def _to_utc(interval: Interval, what: str) -> Interval:
    # Python compares and subtracts datetimes sharing one tzinfo by wall clock, so 22:00 EDT
    # to 08:00 EST would be 10 h instead of 11; in UTC all arithmetic is real time.
    _require_aware(interval.start, f"{what}.start")
    _require_aware(interval.end, f"{what}.end")
    return Interval(interval.start.astimezone(UTC), interval.end.astimezone(UTC), interval.id)


def _overlaps(a: Interval, b: Interval) -> bool:
    return a.start < b.end and b.start < a.end


def _week_start(moment: datetime, tz: tzinfo) -> date:
    local_day = moment.astimezone(tz).date()
    return local_day - timedelta(days=local_day.weekday())


def _week_bounds(monday: date, tz: tzinfo) -> tuple[datetime, datetime]:
    # Local midnights, DST-aware: such a week lasts 167 or 169 real hours on a change.
    start = local_to_utc(datetime.combine(monday, datetime.min.time()), tz)
    end = local_to_utc(datetime.combine(monday + timedelta(days=7), datetime.min.time()), tz)
    return start, end


def _merge(intervals: Iterable[Interval]) -> list[tuple[datetime, datetime]]:
    # Worked time is the union: overlapping shifts (reported separately) count once.
    merged: list[tuple[datetime, datetime]] = []
    for iv in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and iv.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], iv.end))
        else:
            merged.append((iv.start, iv.end))
    return merged


def _worked(merged: Sequence[tuple[datetime, datetime]], lo: datetime, hi: datetime) -> timedelta:
    total = timedelta(0)
    for start, end in merged:
        part = min(end, hi) - max(start, lo)
        if part > timedelta(0):
            total += part
    return total


class Finding(NamedTuple):
    """One broken rule as :func:`judge` finds it, before it is worded (:func:`check_shift`):
    cheap enough to judge a whole workforce (the cover finder reads only ``code``)."""

    code: str
    #: the other shift (overlap, rest), the rest side ("before" or "after")
    other: Interval | None = None
    side: str | None = None
    #: the rest gap, the shift's length or the week's worked time
    span: timedelta | None = None
    #: the local Monday of a week over the limit
    week: date | None = None


@dataclass(frozen=True)
class Around:
    """What the rules read of a contractor's other (counted) shifts around a candidate, as
    plain data. :func:`surroundings` measures it from the shifts themselves; the cover
    finder fills it from SQL aggregates for a whole workforce at once.

    ``weeks``: each local week the candidate touches (``local_weeks``): its Monday and the
    time worked in it, the candidate included (the union of the shifts, so overlapping
    ones count once). An upper bound of that time may stand for it when the bound is
    within the limit (no breach either way); a bound over the limit must be measured."""

    overlapping: Sequence[Interval] = ()
    before: Interval | None = None
    after: Interval | None = None
    weeks: Sequence[tuple[date, timedelta]] = ()


def local_weeks(candidate: Interval, tz: tzinfo) -> list[tuple[date, datetime, datetime]]:
    """``(monday, start, end)`` of each local week (Monday 00:00 to Monday 00:00 in ``tz``,
    DST-aware) that the candidate touches, in UTC."""
    weeks: list[tuple[date, datetime, datetime]] = []
    monday = _week_start(candidate.start, tz)
    while True:
        week_start, week_end = _week_bounds(monday, tz)
        if week_start >= candidate.end:
            return weeks
        weeks.append((monday, week_start, week_end))
        monday += timedelta(days=7)


def surroundings(candidate: Interval, others: Sequence[Interval], tz: tzinfo) -> Around:
    """:class:`Around` measured from the contractor's other shifts (all in UTC)."""
    before = [o for o in others if o.end <= candidate.start]
    after = [o for o in others if o.start >= candidate.end]
    merged = _merge([*others, candidate])
    return Around(
        overlapping=sorted((o for o in others if _overlaps(candidate, o)), key=lambda o: o.start),
        before=max(before, key=lambda o: o.end) if before else None,
        after=min(after, key=lambda o: o.start) if after else None,
        weeks=[(monday, _worked(merged, lo, hi)) for monday, lo, hi in local_weeks(candidate, tz)],
    )


def judge(candidate: Interval, around: Around, limits: ShiftLimits) -> list[Finding]:
    """Every rule the candidate breaks, given what is around it: the rules themselves, on
    plain data (both :func:`check_shift` and the cover finder call this). Ordered overlap,
    rest_too_short, shift_too_long, weekly_hours_exceeded.

    Overlapping shifts are the overlap rule's business; rest is measured to the nearest
    shift that ends before the candidate starts and the nearest that starts after it ends.
    """
    found = [Finding(OVERLAP, other=o) for o in around.overlapping]
    minimum = timedelta(hours=limits.rest_hours)
    if around.before is not None:
        gap = candidate.start - around.before.end
        if gap < minimum:
            found.append(Finding(REST_TOO_SHORT, other=around.before, side="before", span=gap))
    if around.after is not None:
        gap = around.after.start - candidate.end
        if gap < minimum:
            found.append(Finding(REST_TOO_SHORT, other=around.after, side="after", span=gap))
    length = candidate.end - candidate.start
    if length > timedelta(hours=limits.max_shift_hours):
        found.append(Finding(SHIFT_TOO_LONG, span=length))
    weekly = timedelta(hours=limits.weekly_hours)
    found.extend(
        Finding(WEEKLY_HOURS_EXCEEDED, span=worked, week=monday)
        for monday, worked in around.weeks
        if worked > weekly
    )
    return found


def _breach(finding: Finding, limits: ShiftLimits) -> RuleBreach:
    """The finding worded for the problem document."""
    code, other, span = finding.code, finding.other, finding.span
    if code == OVERLAP and other is not None:
        return RuleBreach(
            OVERLAP,
            "The shift overlaps another shift of the same contractor.",
            {
                "other_shift_id": other.id,
                "other_starts_at": other.start.isoformat(),
                "other_ends_at": other.end.isoformat(),
            },
        )
    if code == REST_TOO_SHORT and other is not None and span is not None:
        return RuleBreach(
            REST_TOO_SHORT,
            f"Only {_hours(span, ROUND_FLOOR)} h of rest {finding.side} another shift; "
            f"at least {limits.rest_hours} h are required.",
            {
                "gap_hours": _hours(span, ROUND_FLOOR),
                "gap_seconds": _seconds(span),
                "limit": limits.rest_hours,
                "side": finding.side,
                "other_shift_id": other.id,
            },
        )
    if code == SHIFT_TOO_LONG and span is not None:
        return RuleBreach(
            SHIFT_TOO_LONG,
            f"The shift lasts {_hours(span, ROUND_CEILING)} h; "
            f"at most {limits.max_shift_hours} h are allowed.",
            {"hours": _hours(span, ROUND_CEILING), "limit": limits.max_shift_hours},
        )
    if code == WEEKLY_HOURS_EXCEEDED and span is not None and finding.week is not None:
        monday = finding.week.isoformat()
        return RuleBreach(
            WEEKLY_HOURS_EXCEEDED,
            f"The week of {monday} would have "
            f"{_hours(span, ROUND_CEILING)} h of work; "
            f"at most {limits.weekly_hours} h are allowed.",
            {
                "week_start": monday,
                "hours": _hours(span, ROUND_CEILING),
                "worked_seconds": _seconds(span),
                "limit": limits.weekly_hours,
            },
        )
    raise ValueError(f"incomplete finding {finding!r}")  # pragma: no cover


def check_shift(
    candidate: Interval,
    existing: Sequence[Interval],
    tz: tzinfo,
    limits: ShiftLimits | None = None,
) -> list[RuleBreach]:
    """Return every rule the candidate breaks against the contractor's ``existing`` shifts.

    ``tz`` is the contractor's zone (weeks run Monday 00:00 to Monday 00:00 local). A stored
    shift with the candidate's ``id`` is the old version of an update and is ignored.
    Breaches come ordered overlap, rest_too_short, shift_too_long, weekly_hours_exceeded
    (:func:`judge` decides, on what :func:`surroundings` measures).
    """
    limits = limits or ShiftLimits()
    candidate = _to_utc(candidate, "candidate")
    if candidate.end <= candidate.start:
        raise InvalidInput.field("ends_at", "The shift must end after it starts.")
    others = [
        _to_utc(o, "existing") for o in existing if candidate.id is None or o.id != candidate.id
    ]
    around = surroundings(candidate, others, tz)
    return [_breach(f, limits) for f in judge(candidate, around, limits)]


def raise_first(breaches: Sequence[RuleBreach]) -> None:
    """Raise ``Conflict`` for the first breach, if any."""
    if breaches:
        first = breaches[0]
        raise Conflict(first.detail, code=first.code, extra=dict(first.extra))


def raise_breaches(breaches: Sequence[RuleBreach], *, override_hour_rules: bool = False) -> None:
    """Raise one ``Conflict`` carrying all breaches, or return if there are none.

    The code and detail are the first breach's; ``extra`` holds its measured values plus
    ``"breaches"``, the list of every breach. With ``override_hour_rules`` (ops gave a
    reason), hour-rule breaches are dropped and only the others can raise.
    """
    blocking = [b for b in breaches if not (override_hour_rules and is_hour_rule(b.code))]
    if blocking:
        _raise(blocking)


def _raise(breaches: Sequence[RuleBreach]) -> NoReturn:
    first = breaches[0]
    extra = {**first.extra, "breaches": [b.as_dict() for b in breaches]}
    raise Conflict(first.detail, code=first.code, extra=extra)
