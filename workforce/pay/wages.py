"""Hourly rates from a local wage distribution (p10 … p90), in exact ``Decimal``.

A rate is read off the distribution at a target percentile by linear interpolation
between the two neighbouring known points, converted to an hourly figure, floored at
the legal minimum and rounded once with :func:`workforce.money.round_money`.

Only the final quotient is inexact. It is computed as a single division, truncated (not
rounded) with enough digits that every rounding tie and every floor value is still
representable: truncation is monotone and exact on representable values, so the later
half-up rounding and floor comparison give the same answer as on the exact rational.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)

from workforce.errors import InvalidInput
from workforce.money import currency_digits, require_decimal, round_money, to_money_string

__all__ = [
    "EXACT",
    "PERIODS",
    "REQUIRED_PERCENTILES",
    "Placement",
    "RateDerivation",
    "derive_hourly_rate",
    "divide_truncated",
    "hourly_from_period",
    "interpolate",
    "parse_percentile_key",
    "percentile_of",
    "validate_percentiles",
]

PERIODS = ("hour", "month")
REQUIRED_PERCENTILES = (10, 25, 50, 75, 90)

_KEY = re.compile(r"p([1-9][0-9]?)")
# Digits kept after the point in a truncated quotient: more than any currency (4) or any
# accepted input (money.MAX_FRACTION_DIGITS = 12), as the truncation argument requires.
_QUOTIENT_FRACTION_DIGITS = 20
# Inputs are bounded by require_decimal (≤ 27 significant digits), so products and sums
# of a few of them fit in 200 digits; Inexact/Rounded are trapped to prove it.
_EXACT = Context(prec=200, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded])
#: The same exact context for other modules (products of bounded money values).
EXACT = _EXACT


def parse_percentile_key(key: str) -> int:
    """``"p65"`` → ``65``; keys are ``p1`` … ``p99`` without padding."""
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise InvalidInput.field("percentiles", f"{key!r} is not a percentile key (p1 to p99)")
    return int(match.group(1))


def validate_percentiles(points: Mapping[str, Decimal]) -> dict[int, Decimal]:
    """Check a ``{"p10": Decimal(...), …}`` distribution; return it keyed by int, sorted.

    Requires at least p10, p25, p50, p75 and p90, positive values, and values strictly
    increasing with the percentile. All problems are reported together.
    """
    errors: list[str] = []
    parsed: dict[int, Decimal] = {}
    for key, value in points.items():
        try:
            percentile = parse_percentile_key(key)
            parsed[percentile] = require_decimal(value, "percentiles")
        except InvalidInput as exc:
            errors.append(f"{key}: {exc.errors['percentiles'][0]}")
    missing = [f"p{p}" for p in REQUIRED_PERCENTILES if p not in parsed]
    if missing:
        errors.append(f"missing required percentiles: {', '.join(missing)}")
    errors.extend(_shape_errors(parsed))
    if errors:
        raise InvalidInput({"percentiles": errors})
    return dict(sorted(parsed.items()))


def _shape_errors(points: Mapping[int, Decimal]) -> list[str]:
    errors = [f"p{p} must be positive" for p, v in sorted(points.items()) if v <= 0]
    ordered = sorted(points.items())
    for (p_lo, v_lo), (p_hi, v_hi) in zip(ordered, ordered[1:], strict=False):
        if v_hi <= v_lo:
            errors.append(f"values must increase with the percentile: p{p_hi} ≤ p{p_lo}")
    return errors


def _checked_points(points: Mapping[int, Decimal]) -> list[tuple[int, Decimal]]:
    """Sorted points, re-validated: interpolating a broken distribution is never right."""
    if not points:
        raise InvalidInput.field("percentiles", "at least one point is required")
    for p in points:
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError("percentile keys must be int; use validate_percentiles() first")
        if not 1 <= p <= 99:
            raise InvalidInput.field("percentiles", f"p{p} is not between p1 and p99")
    ordered = [(p, require_decimal(v, "percentiles")) for p, v in sorted(points.items())]
    errors = _shape_errors(dict(ordered))
    if errors:
        raise InvalidInput({"percentiles": errors})
    return ordered


def _percentile(value: Decimal | int) -> Decimal:
    p = require_decimal(value, "percentile")
    if not 1 <= p <= 99:
        raise InvalidInput.field("percentile", "must be between 1 and 99")
    return p


def _label(p: Decimal | int) -> str:
    # normalize() strips trailing zeros ("65.0" → "65"); 40 digits hold any percentile.
    return f"p{Decimal(p).normalize(Context(prec=40)):f}"


def _bracket(
    ordered: list[tuple[int, Decimal]], p: Decimal
) -> tuple[tuple[int, Decimal], tuple[int, Decimal]]:
    """The known points either side of ``p`` (the same point twice when ``p`` is known)."""
    below = [pt for pt in ordered if pt[0] <= p]
    above = [pt for pt in ordered if pt[0] >= p]
    if not below or not above:
        raise InvalidInput.field(
            "percentile",
            f"{_label(p)} is outside the known range {_label(ordered[0][0])}–"
            f"{_label(ordered[-1][0])}; cannot extrapolate",
        )
    return below[-1], above[0]


def _fraction(
    lower: tuple[int, Decimal], upper: tuple[int, Decimal], p: Decimal
) -> tuple[Decimal, Decimal]:
    """Exact numerator and denominator of the interpolated value."""
    (p_lo, v_lo), (p_hi, v_hi) = lower, upper
    if p_lo == p_hi:
        return v_lo, Decimal(1)
    span = Decimal(p_hi - p_lo)
    # v_lo + (v_hi - v_lo)(p - p_lo)/span, over one denominator so only one step rounds.
    numerator = _EXACT.add(
        _EXACT.multiply(v_lo, span),
        _EXACT.multiply(_EXACT.subtract(v_hi, v_lo), _EXACT.subtract(p, Decimal(p_lo))),
    )
    return numerator, span


def _divide(numerator: Decimal, denominator: Decimal) -> tuple[Decimal, bool]:
    """Truncated quotient (see module docstring) and whether it is exact."""
    if denominator.is_zero():
        raise ValueError("division by zero")
    fraction_digits = _QUOTIENT_FRACTION_DIGITS
    magnitude = numerator.adjusted() - denominator.adjusted() + 1 if numerator else 0
    ctx = Context(
        prec=max(34, magnitude + fraction_digits + 2),
        rounding=ROUND_DOWN,
        traps=[InvalidOperation, DivisionByZero, Overflow],
    )
    quotient = ctx.divide(numerator, denominator)
    return quotient, not ctx.flags[Inexact]


def divide_truncated(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` truncated after 20+ decimal places (see module docstring):
    rounding it half-up to a currency afterwards equals rounding the exact rational."""
    return _divide(numerator, denominator)[0]


def interpolate(points: Mapping[int, Decimal], percentile: Decimal | int) -> Decimal:
    """Value at ``percentile`` (1–99), linear between the neighbouring known points.

    Exact at a known point; outside the known range raises ``InvalidInput`` (no
    extrapolation). Non-terminating results are truncated at 20+ decimal places.
    """
    p = _percentile(percentile)
    lower, upper = _bracket(_checked_points(points), p)
    return _divide(*_fraction(lower, upper, p))[0]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a value lies on a distribution: :func:`interpolate` read backwards."""

    #: The percentile (truncated at 20+ decimal places); None outside the known range.
    percentile: Decimal | None
    #: ``"below"`` the lowest known point, ``"above"`` the highest, else None.
    outside: str | None
    #: The known points either side (the same point twice at a known value).
    between: tuple[int, int] | None


def percentile_of(points: Mapping[int, Decimal], value: Decimal) -> Placement:
    """The percentile at which :func:`interpolate` gives ``value``: linear between the
    neighbouring known points, so ``percentile_of(points, interpolate(points, p))`` is ``p``
    (up to the truncation of the quotient). Below the lowest or above the highest known
    point there is nothing to read (no extrapolation): ``outside`` says which side."""
    ordered = _checked_points(points)
    v = require_decimal(value, "value", max_places=None)
    if v < ordered[0][1]:
        return Placement(None, "below", None)
    if v > ordered[-1][1]:
        return Placement(None, "above", None)
    for (p_lo, v_lo), (p_hi, v_hi) in zip(ordered, ordered[1:], strict=False):
        if v == v_lo:
            return Placement(Decimal(p_lo), None, (p_lo, p_lo))
        if v < v_hi:
            # p_lo + (v - v_lo)(p_hi - p_lo)/(v_hi - v_lo), one division
            numerator = _EXACT.add(
                _EXACT.multiply(Decimal(p_lo), _EXACT.subtract(v_hi, v_lo)),
                _EXACT.multiply(_EXACT.subtract(v, v_lo), Decimal(p_hi - p_lo)),
            )
            return Placement(_divide(numerator, _EXACT.subtract(v_hi, v_lo))[0], None, (p_lo, p_hi))
    last = ordered[-1][0]
    return Placement(Decimal(last), None, (last, last))


def _hours(period: str, hours_per_month: Decimal) -> Decimal:
    """Hours in one ``period``: 1, or the positive ``hours_per_month``."""
    if period == "hour":
        return Decimal(1)
    if period != "month":
        raise InvalidInput.field("period", "must be 'hour' or 'month'")
    hours = require_decimal(hours_per_month, "hours_per_month")
    if not 0 < hours <= 744:  # 31 days × 24 h
        raise InvalidInput.field("hours_per_month", "must be more than 0 and at most 744")
    return hours


def hourly_from_period(amount: Decimal, period: str, hours_per_month: Decimal) -> Decimal:
    """Convert an amount per ``period`` ('hour' or 'month') to an amount per hour."""
    value = require_decimal(amount, "amount")
    return _divide(value, _hours(period, hours_per_month))[0]


@dataclass(frozen=True, slots=True)
class RateDerivation:
    """How an hourly rate was obtained; enough to show a contractor the arithmetic."""

    hourly_rate: Decimal  # paid rate: rounded half-up, never below the floor
    currency: str
    percentile: Decimal
    interpolated_between: tuple[int, int]  # (p, p) when the percentile is a known point
    period_value: Decimal  # interpolated amount per source period, unrounded
    unrounded: Decimal  # market hourly rate before rounding and before the floor
    floor_applied: bool
    explanation: str


def _show(value: Decimal, exact: bool, digits: int) -> str:
    if exact:
        return f"{value:f}"
    return "≈ " + f"{value.quantize(Decimal(1).scaleb(-(digits + 4)), rounding=ROUND_DOWN):f}"


def derive_hourly_rate(
    points: Mapping[int, Decimal],
    percentile: Decimal | int,
    period: str,
    hours_per_month: Decimal,
    currency: str,
    floor: Decimal | None = None,
) -> RateDerivation:
    """Hourly rate at ``percentile`` of a distribution of pay per ``period``.

    ``floor`` is an hourly minimum in ``currency``; it is rounded *up* to the minor unit so
    the paid rate never falls below it. ``floor_applied`` is true when it raised the rate.
    """
    p = _percentile(percentile)
    ordered = _checked_points(points)
    digits = currency_digits(currency)
    hours = _hours(period, hours_per_month)
    lower, upper = _bracket(ordered, p)
    numerator, span = _fraction(lower, upper, p)

    period_value, period_exact = _divide(numerator, span)
    unrounded, exact = _divide(numerator, _EXACT.multiply(span, hours))
    market_rate = round_money(unrounded, currency)

    steps: list[str] = []
    if lower[0] == upper[0]:
        steps.append(f"{_label(p)} is a known point: {lower[1]:f} {currency} per {period}.")
    else:
        steps.append(
            f"{_label(p)} lies between {_label(lower[0])} ({lower[1]:f}) and "
            f"{_label(upper[0])} ({upper[1]:f}): {lower[1]:f} + ({upper[1]:f} − {lower[1]:f})"
            f" × ({_label(p)[1:]} − {lower[0]}) / ({upper[0]} − {lower[0]}) = "
            f"{_show(period_value, period_exact, digits)} {currency} per {period}."
        )
    if period == "month":
        steps.append(
            f"Divided by {hours:f} hours per month: {_show(unrounded, exact, digits)} "
            f"{currency} per hour."
        )
    steps.append(
        f"Rounded half-up to {digits} decimal places: {to_money_string(market_rate, currency)}"
        f" {currency} per hour."
    )

    hourly_rate, floor_applied = market_rate, False
    if floor is not None:
        floor_value = require_decimal(floor, "floor")
        if floor_value <= 0:
            raise InvalidInput.field("floor", "must be positive")
        # Up, not half-up: rounding a legal minimum down would pay less than the law says.
        floor_rate = floor_value.quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_CEILING, context=Context(prec=40)
        )
        if market_rate < floor_rate:
            hourly_rate, floor_applied = floor_rate, True
            steps.append(
                f"Below the floor of {floor_value:f} {currency} per hour, so the floor applies:"
                f" {to_money_string(floor_rate, currency)} {currency} per hour."
            )
        else:
            steps.append(f"At or above the floor of {floor_value:f} {currency} per hour.")

    return RateDerivation(
        hourly_rate=hourly_rate,
        currency=currency,
        percentile=p,
        interpolated_between=(lower[0], upper[0]),
        period_value=period_value,
        unrounded=unrounded,
        floor_applied=floor_applied,
        explanation=" ".join(steps),
    )
