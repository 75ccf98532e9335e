"""The pay calculation: worked intervals in, rounded line items and a total out.

A pure function over data — no database — so that its rules can be tested exhaustively.

How time is split
    Every worked interval (a completed shift, clock-in to clock-out) is cut with
    :func:`workforce.timeutil.split_by_windows` in the contractor's own time zone: at local
    midnight and at the bounds of the night window, so each piece lies on one local date
    and is wholly night or day; each local date is a public holiday or not. Time is counted
    in whole seconds of real (elapsed) time: a shift across a fall-back night is an hour
    longer than its wall-clock span.

How overtime is assessed
    Per local ISO week (Monday 00:00 to Sunday 24:00 on the contractor's clock). Seconds
    are counted in order from the start of the week; those after the weekly threshold are
    overtime. So whether a second is overtime depends only on the work *before* it in the
    same week — earlier statements' work included — never on the statement's bounds.

Lines and rounding
    One line per local date, kind and detail (``base``; ``night``; ``holiday`` with the
    holiday's name; ``hazard`` with the queue tier; ``credential`` with the code;
    ``overtime``). A line's amount is ``seconds × base rate × percent / 100 / 3600``, rounded
    once, half-up, to the currency's minor unit (:func:`line_amount`); the total is the sum
    of the rounded lines. Because lines never span two local dates, a period cut in two at
    a local midnight yields exactly the same lines — and the same total — as the whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from workforce.errors import Conflict
from workforce.money import require_decimal, round_money
from workforce.pay.terms import Premiums
from workforce.pay.wages import EXACT, divide_truncated
from workforce.timeutil import Segment, local_week_start, split_by_windows

__all__ = [
    "LINE_KINDS",
    "Calculation",
    "PayLine",
    "WorkedInterval",
    "calculate",
    "difference",
    "line_amount",
    "line_rate",
    "seconds_by_queue",
]

#: Line kinds in the order they are listed on a statement.
LINE_KINDS = ("base", "night", "holiday", "hazard", "credential", "overtime")
_ORDER = {kind: i for i, kind in enumerate(LINE_KINDS)}
#: The base line pays the whole hourly rate.
BASE_PERCENT = Decimal(100)
_SECONDS_PER_HOUR_PERCENT = Decimal(3600 * 100)


@dataclass(frozen=True, slots=True)
class WorkedInterval:
    """Clocked work on one queue: ``[start, end)`` in aware datetimes."""

    start: datetime
    end: datetime
    #: The queue's tier (0 none … 3 egregious): selects the hazard premium.
    tier: int = 0
    #: Codes of the credentials the queue requires (PHD, RN): select credential premiums.
    credential_codes: frozenset[str] = frozenset()
    #: Where the interval came from, for error messages.
    shift_id: int | None = None
    #: The queue worked on (the pay report attributes a line's seconds to queues).
    queue_id: int | None = None


@dataclass(frozen=True, slots=True)
class PayLine:
    work_date: date
    kind: str
    #: Holiday name, queue tier or credential code; None for base, night and overtime.
    detail: str | None
    seconds: int
    #: Share of the hourly base rate paid per hour: 100 for base, the premium otherwise.
    percent: Decimal
    amount: Decimal

    @property
    def key(self) -> tuple[date, str, str]:
        return (self.work_date, self.kind, self.detail or "")


@dataclass(frozen=True, slots=True)
class Calculation:
    currency: str
    base_rate: Decimal
    lines: tuple[PayLine, ...]
    total: Decimal


def line_rate(base_rate: Decimal, percent: Decimal) -> Decimal:
    """Pay per hour of a line: ``base_rate × percent / 100`` (exact: a division by 100)."""
    return EXACT.divide(EXACT.multiply(base_rate, percent), BASE_PERCENT)


def line_amount(seconds: int, base_rate: Decimal, percent: Decimal, currency: str) -> Decimal:
    """``seconds × base_rate × percent / 360000``, rounded half-up once to ``currency``.

    The product is exact; the one division is truncated far below the minor unit, which
    rounds exactly like the rational itself (see :mod:`workforce.pay.wages`).
    """
    rate = require_decimal(base_rate, "base_rate")
    share = require_decimal(percent, "percent")
    numerator = EXACT.multiply(EXACT.multiply(Decimal(seconds), rate), share)
    return round_money(divide_truncated(numerator, _SECONDS_PER_HOUR_PERCENT), currency)


def _check_intervals(intervals: Iterable[WorkedInterval]) -> list[WorkedInterval]:
    ordered = sorted(intervals, key=lambda i: (i.start, i.end))
    for interval in ordered:
        if interval.end <= interval.start:
            raise Conflict(
                f"shift {interval.shift_id} ends before it starts", code="invalid_shift_times"
            )
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            raise Conflict(
                f"shifts {before.shift_id} and {after.shift_id} overlap in time; "
                "correct their clocked times first",
                code="overlapping_shifts",
            )
    return ordered


def _overtime_seconds(segments: list[tuple[Segment, WorkedInterval]], threshold: int) -> list[int]:
    """Overtime seconds of each segment (chronological) under a weekly ``threshold``."""
    worked: dict[date, int] = defaultdict(int)
    overtime = []
    for segment, _interval in segments:
        week = local_week_start(segment.local_date)
        before = worked[week]
        regular = max(0, min(segment.seconds, threshold - before))
        overtime.append(segment.seconds - regular)
        worked[week] = before + segment.seconds
    return overtime


def _pieces(
    intervals: Iterable[WorkedInterval],
    *,
    first_day: date,
    last_day: date,
    tz: tzinfo,
    premiums: Premiums,
    holidays: Callable[[date], str | None],
) -> Iterator[tuple[tuple[date, str, str | None], Decimal, int, WorkedInterval]]:
    """Every paid piece of the period: its line key (local date, kind, detail), percent,
    seconds and the interval it comes from. Pieces with no seconds or no percent are left
    out (they pay nothing and make no line)."""
    segments: list[tuple[Segment, WorkedInterval]] = []
    for interval in _check_intervals(intervals):
        pieces = split_by_windows(
            interval.start,
            interval.end,
            tz,
            premiums.night_start,
            premiums.night_end,
            holidays,
        )
        segments.extend((piece, interval) for piece in pieces)
    overtime = _overtime_seconds(segments, premiums.overtime_after_seconds)
    for (segment, interval), extra in zip(segments, overtime, strict=True):
        day = segment.local_date
        if not first_day <= day <= last_day:
            continue
        found: list[tuple[str, str | None, Decimal, int]] = [
            ("base", None, BASE_PERCENT, segment.seconds)
        ]
        if segment.night:
            found.append(("night", None, premiums.night_percent, segment.seconds))
        if segment.holiday:
            found.append(("holiday", segment.holiday, premiums.holiday_percent, segment.seconds))
        hazard = premiums.hazard_percent.get(interval.tier, Decimal(0))
        found.append(("hazard", str(interval.tier), hazard, segment.seconds))
        for code in sorted(interval.credential_codes):
            credential = premiums.credential_percent.get(code, Decimal(0))
            found.append(("credential", code, credential, segment.seconds))
        found.append(("overtime", None, premiums.overtime_percent, extra))
        for kind, detail, percent, seconds in found:
            if seconds and percent:
                yield (day, kind, detail), percent, seconds, interval


def calculate(
    intervals: Iterable[WorkedInterval],
    *,
    first_day: date,
    last_day: date,
    tz: tzinfo,
    currency: str,
    base_rate: Decimal,
    premiums: Premiums,
    holidays: Callable[[date], str | None] = lambda _day: None,
) -> Calculation:
    """Line items for the local dates ``first_day`` … ``last_day`` (inclusive).

    ``intervals`` must include every interval of the period and, for overtime, every
    earlier one in the ISO week of ``first_day``; intervals may extend beyond the period,
    only their part inside it is paid. Overlapping intervals are a 409.
    """
    rate = require_decimal(base_rate, "base_rate")
    seconds: dict[tuple[date, str, str | None], int] = defaultdict(int)
    percents: dict[tuple[date, str, str | None], Decimal] = {}
    for key, percent, amount, _interval in _pieces(
        intervals,
        first_day=first_day,
        last_day=last_day,
        tz=tz,
        premiums=premiums,
        holidays=holidays,
    ):
        seconds[key] += amount
        percents[key] = percent

    lines = []
    for key in sorted(seconds, key=lambda k: (k[0], _ORDER[k[1]], k[2] or "")):
        day, kind, detail = key
        secs, percent = seconds[key], percents[key]
        lines.append(
            PayLine(day, kind, detail, secs, percent, line_amount(secs, rate, percent, currency))
        )
    total = sum((line.amount for line in lines), round_money(0, currency))
    return Calculation(currency=currency, base_rate=rate, lines=tuple(lines), total=total)


def seconds_by_queue(
    intervals: Iterable[WorkedInterval],
    *,
    first_day: date,
    last_day: date,
    tz: tzinfo,
    premiums: Premiums,
    holidays: Callable[[date], str | None] = lambda _day: None,
) -> dict[tuple[date, str, str], dict[int | None, int]]:
    """The seconds of each line (keyed like :attr:`PayLine.key`) per queue worked: the
    same pieces :func:`calculate` pays, so a line's amount can be shared among its queues
    in proportion to its seconds (within a line every second pays the same)."""
    out: dict[tuple[date, str, str], dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for (day, kind, detail), _percent, amount, interval in _pieces(
        intervals,
        first_day=first_day,
        last_day=last_day,
        tz=tz,
        premiums=premiums,
        holidays=holidays,
    ):
        out[(day, kind, detail or "")][interval.queue_id] += amount
    return {key: dict(queues) for key, queues in out.items()}


def difference(
    new: Iterable[PayLine], paid: Iterable[PayLine], currency: str
) -> tuple[PayLine, ...]:
    """Adjusting lines: what ``new`` pays beyond (or short of) what was ``paid`` already,
    per local date, kind and detail. Amounts are differences of rounded amounts, so the
    original and its adjustments always add up to exactly what ``new`` pays."""
    paid_by_key: dict[tuple[date, str, str], list[PayLine]] = defaultdict(list)
    for line in paid:
        paid_by_key[line.key].append(line)
    current: Mapping[tuple[date, str, str], PayLine] = {line.key: line for line in new}
    out = []
    for key in sorted(set(current) | set(paid_by_key), key=lambda k: (k[0], _ORDER[k[1]], k[2])):
        before = paid_by_key.get(key, [])
        now = current.get(key)
        secs = (now.seconds if now else 0) - sum(line.seconds for line in before)
        amount = (now.amount if now else Decimal(0)) - sum(
            (line.amount for line in before), Decimal(0)
        )
        if secs == 0 and amount == 0:
            continue
        like = now or before[-1]
        out.append(
            PayLine(
                like.work_date,
                like.kind,
                like.detail,
                secs,
                like.percent,
                round_money(amount, currency),
            )
        )
    return tuple(out)
