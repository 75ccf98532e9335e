"""Wage-distribution maths (workforce.pay.wages), checked against exact rationals."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.errors import InvalidInput
from workforce.pay.wages import (
    RateDerivation,
    derive_hourly_rate,
    hourly_from_period,
    interpolate,
    parse_percentile_key,
    percentile_of,
    validate_percentiles,
)

D = Decimal
KES_MONTHLY = {
    "p10": D("10000"),
    "p25": D("15000"),
    "p50": D("20000"),
    "p75": D("28000"),
    "p90": D("35000"),
}
POINTS = {10: D("10000"), 25: D("15000"), 50: D("20000"), 75: D("28000"), 90: D("35000")}
DIGITS = {"JPY": 0, "KES": 2, "KWD": 3}


def half_up(x: Fraction, digits: int) -> Fraction:
    scaled = abs(x) * 10**digits
    magnitude = math.floor(scaled + Fraction(1, 2))
    return Fraction(magnitude if x >= 0 else -magnitude, 10**digits)


def ceil_to(x: Fraction, digits: int) -> Fraction:
    return Fraction(math.ceil(x * 10**digits), 10**digits)


def exact_interpolation(points: dict[int, Decimal], p: Fraction) -> Fraction:
    keys = sorted(points)
    if p in keys:
        return Fraction(points[int(p)])
    lo = max(k for k in keys if k < p)
    hi = min(k for k in keys if k > p)
    v_lo, v_hi = Fraction(points[lo]), Fraction(points[hi])
    return v_lo + (v_hi - v_lo) * (p - lo) / (hi - lo)


money = st.decimals(min_value=D("0.01"), max_value=D("50000"), places=2)


@st.composite
def distributions(draw: st.DrawFn) -> dict[int, Decimal]:
    """Strictly increasing positive points: the required five plus a few extra."""
    extra = draw(st.sets(st.integers(1, 99), max_size=6))
    keys = sorted({10, 25, 50, 75, 90} | extra)
    value = draw(money)
    points = {}
    for key in keys:
        points[key] = value
        value += draw(st.decimals(min_value=D("0.01"), max_value=D("20000"), places=2))
    return points


percentiles = st.one_of(
    st.integers(1, 99),
    st.decimals(min_value=1, max_value=99, places=3),
)


# --- keys and validation -------------------------------------------------------------


@pytest.mark.parametrize(("key", "value"), [("p1", 1), ("p65", 65), ("p99", 99), ("p10", 10)])
def test_parse_percentile_key(key: str, value: int) -> None:
    assert parse_percentile_key(key) == value


@pytest.mark.parametrize("key", ["p0", "p100", "p065", "65", "P65", " p5", "p", "p6.5", "p-5", 65])
def test_parse_percentile_key_rejects(key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_percentile_key(key)
    assert list(exc.value.errors) == ["percentiles"]


def test_validate_percentiles_returns_sorted_int_keys() -> None:
    shuffled = dict(reversed(list(KES_MONTHLY.items())))
    assert list(validate_percentiles({**shuffled, "p65": D("25000")}).items()) == [
        (10, D("10000")),
        (25, D("15000")),
        (50, D("20000")),
        (65, D("25000")),
        (75, D("28000")),
        (90, D("35000")),
    ]


def test_non_increasing_percentiles_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_percentiles({**KES_MONTHLY, "p50": D("15000")})  # equal to p25
    assert exc.value.errors == {
        "percentiles": ["values must increase with the percentile: p50 ≤ p25"]
    }
    with pytest.raises(InvalidInput) as exc:
        validate_percentiles({**KES_MONTHLY, "p90": D("100")})
    assert exc.value.errors["percentiles"] == [
        "values must increase with the percentile: p90 ≤ p75"
    ]


@given(points=distributions(), data=st.data())
def test_any_swap_of_values_is_rejected(points: dict[int, Decimal], data: st.DataObject) -> None:
    keys = sorted(points)
    i = data.draw(st.integers(0, len(keys) - 2))
    raw = {f"p{k}": v for k, v in points.items()}
    raw[f"p{keys[i]}"], raw[f"p{keys[i + 1]}"] = points[keys[i + 1]], points[keys[i]]
    with pytest.raises(InvalidInput, match="must increase"):
        validate_percentiles(raw)
    assert validate_percentiles({f"p{k}": v for k, v in points.items()}) == points


def test_missing_and_non_positive_reported_together() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_percentiles({"p10": D("-1"), "p50": D("5"), "x": D("7")})
    messages = exc.value.errors["percentiles"]
    assert "missing required percentiles: p25, p75, p90" in messages
    assert "p10 must be positive" in messages
    assert any(m.startswith("x:") for m in messages)


@pytest.mark.parametrize("bad", [D("NaN"), D("Infinity"), D("1E+20")])
def test_non_finite_or_huge_values_rejected(bad: Decimal) -> None:
    with pytest.raises(InvalidInput):
        validate_percentiles({**KES_MONTHLY, "p50": bad})


def test_float_values_rejected() -> None:
    with pytest.raises(TypeError):
        validate_percentiles({**KES_MONTHLY, "p50": 20000.0})  # type: ignore[dict-item]


# --- interpolation --------------------------------------------------------------------


def test_interpolate_known_values() -> None:
    assert interpolate(POINTS, 30) == D("16000")  # 15000 + 5000 * 5/25
    assert interpolate(POINTS, D("62.5")) == D("24000")
    assert interpolate(POINTS, 50) == D("20000")
    assert interpolate(POINTS, D("50.000")) == D("20000")


@given(points=distributions())
def test_interpolate_is_exact_at_every_known_point(points: dict[int, Decimal]) -> None:
    for key, value in points.items():
        assert interpolate(points, key) == value
        assert interpolate(points, D(key)) == value


@given(points=distributions(), p=percentiles, q=percentiles)
def test_interpolate_is_monotonic_and_between_neighbours(
    points: dict[int, Decimal], p: Decimal | int, q: Decimal | int
) -> None:
    lowest, highest = min(points), max(points)
    p, q = sorted((p, q))
    if p < lowest or q > highest:
        return
    vp, vq = interpolate(points, p), interpolate(points, q)
    assert vp <= vq
    below = max(k for k in points if k <= p)
    above = min(k for k in points if k >= p)
    assert points[below] <= vp <= points[above]
    if below != above:
        assert points[below] < vp < points[above]
    # And it is the exact rational value, up to truncation far below any minor unit.
    assert abs(Fraction(vp) - exact_interpolation(points, Fraction(p))) < Fraction(1, 10**15)


@pytest.mark.parametrize("p", [1, 9, D("9.999"), 91, 99])
def test_no_extrapolation(p: Decimal | int) -> None:
    with pytest.raises(InvalidInput) as exc:
        interpolate(POINTS, p)
    assert list(exc.value.errors) == ["percentile"]
    assert "cannot extrapolate" in exc.value.errors["percentile"][0]


@pytest.mark.parametrize("p", [0, 100, D("0.5"), D("99.5"), -5, D("NaN")])
def test_percentile_must_be_within_1_to_99(p: Decimal | int) -> None:
    with pytest.raises(InvalidInput) as exc:
        interpolate(POINTS, p)
    assert list(exc.value.errors) == ["percentile"]


@pytest.mark.parametrize("p", [50.0, True])
def test_float_percentile_rejected(p: object) -> None:
    with pytest.raises(TypeError):
        interpolate(POINTS, p)  # type: ignore[arg-type]


def test_interpolate_revalidates_points() -> None:
    with pytest.raises(InvalidInput, match="must increase"):
        interpolate({10: D("5"), 90: D("4")}, 50)
    with pytest.raises(InvalidInput):
        interpolate({}, 50)
    with pytest.raises(TypeError):
        interpolate({"p10": D("1"), "p90": D("2")}, 50)  # type: ignore[dict-item]


# --- hourly conversion and derivation -------------------------------------------------


def test_hourly_from_period() -> None:
    assert hourly_from_period(D("12.50"), "hour", D("160")) == D("12.50")
    assert hourly_from_period(D("17333"), "month", D("173.33")) == D("100")
    third = Fraction(hourly_from_period(D("100"), "month", D("3")))
    assert third <= Fraction(100, 3) < third + Fraction(1, 10**20)  # truncated, never above
    with pytest.raises(InvalidInput) as exc:
        hourly_from_period(D("100"), "week", D("160"))
    assert list(exc.value.errors) == ["period"]
    for hours in (D("0"), D("-1"), D("745")):
        with pytest.raises(InvalidInput) as exc:
            hourly_from_period(D("100"), "month", hours)
        assert list(exc.value.errors) == ["hours_per_month"]


def test_derive_monthly_rate_example() -> None:
    result = derive_hourly_rate(POINTS, D("62.5"), "month", D("173.33"), "KES", None)
    assert isinstance(result, RateDerivation)
    assert result.hourly_rate == D("138.46")
    assert result.hourly_rate.as_tuple().exponent == -2
    assert result.interpolated_between == (50, 75)
    assert result.period_value == D("24000")
    assert abs(Fraction(result.unrounded) - Fraction(24000) / Fraction("173.33")) < Fraction(
        1, 10**18
    )
    assert result.floor_applied is False
    assert "between p50" in result.explanation and "p75" in result.explanation
    assert "138.46 KES" in result.explanation


def test_derive_at_a_known_point_and_hourly_period() -> None:
    hourly = {10: D("300"), 25: D("450"), 50: D("600"), 75: D("800"), 90: D("1000")}
    result = derive_hourly_rate(hourly, 50, "hour", D("160"), "JPY", None)
    assert result.hourly_rate == D("600")
    assert result.interpolated_between == (50, 50)
    assert "known point" in result.explanation


def test_derive_rounds_ties_half_up() -> None:
    points = {**POINTS, 50: D("100.01"), 10: D("1"), 25: D("2")}
    # 100.01 / 2 hours = 50.005 exactly: half-up gives 50.01 (half-even would give 50.00).
    result = derive_hourly_rate(points, 50, "month", D("2"), "KES", None)
    assert result.unrounded == D("50.005")
    assert result.hourly_rate == D("50.01")


def test_floor_applies_and_is_never_rounded_down() -> None:
    applied = derive_hourly_rate(POINTS, D("62.5"), "month", D("173.33"), "KES", D("150"))
    assert applied.floor_applied is True
    assert applied.hourly_rate == D("150.00")
    assert "floor" in applied.explanation
    # A floor with sub-minor-unit precision is rounded up, so the paid rate is never below it.
    odd = derive_hourly_rate(POINTS, D("62.5"), "month", D("173.33"), "KES", D("138.461"))
    assert odd.floor_applied is True
    assert odd.hourly_rate == D("138.47")
    below = derive_hourly_rate(POINTS, D("62.5"), "month", D("173.33"), "KES", D("138.46"))
    assert below.floor_applied is False
    assert below.hourly_rate == D("138.46")
    with pytest.raises(InvalidInput) as exc:
        derive_hourly_rate(POINTS, 50, "month", D("160"), "KES", D("0"))
    assert list(exc.value.errors) == ["floor"]


def test_derive_rejects_bad_currency_and_period() -> None:
    with pytest.raises(InvalidInput) as exc:
        derive_hourly_rate(POINTS, 50, "month", D("160"), "ABC", None)
    assert list(exc.value.errors) == ["currency"]
    with pytest.raises(InvalidInput) as exc:
        derive_hourly_rate(POINTS, 50, "day", D("160"), "KES", None)
    assert list(exc.value.errors) == ["period"]


@settings(max_examples=300)
@given(
    points=distributions(),
    p=percentiles,
    period=st.sampled_from(["hour", "month"]),
    hours=st.decimals(min_value=D("1"), max_value=D("744"), places=2),
    currency=st.sampled_from(sorted(DIGITS)),
    floor=st.none() | st.decimals(min_value=D("0.0001"), max_value=D("500"), places=4),
)
def test_derive_matches_exact_rational_oracle(
    points: dict[int, Decimal],
    p: Decimal | int,
    period: str,
    hours: Decimal,
    currency: str,
    floor: Decimal | None,
) -> None:
    if not min(points) <= p <= max(points):
        return
    digits = DIGITS[currency]
    exact = exact_interpolation(points, Fraction(p))
    if period == "month":
        exact /= Fraction(hours)
    market = half_up(exact, digits)
    expected = market
    if floor is not None and market < ceil_to(Fraction(floor), digits):
        expected = ceil_to(Fraction(floor), digits)

    result = derive_hourly_rate(points, p, period, hours, currency, floor)
    assert Fraction(result.hourly_rate) == expected
    assert result.hourly_rate.as_tuple().exponent == -digits
    assert result.floor_applied == (expected != market)
    assert Fraction(result.unrounded) <= exact < Fraction(result.unrounded) + Fraction(1, 10**19)


# --- placing a value on the distribution (the pay report) --------------------------------

periods = st.sampled_from(["hour", "month"])
hours_per_month = st.decimals(min_value=D("1"), max_value=D("744"), places=2)


def _in_range(points: dict[int, Decimal], p: Decimal | int) -> bool:
    return min(points) <= p <= max(points)


@given(points=distributions(), p=percentiles, period=periods, hours=hours_per_month)
@settings(max_examples=300)
def test_placing_a_derived_rate_gives_back_its_percentile(
    points: dict[int, Decimal], p: Decimal | int, period: str, hours: Decimal
) -> None:
    """The rate derivation read backwards: the derived amount per period, placed on the
    distribution it was read off, is the target percentile (to the truncated quotient)."""
    if not _in_range(points, p):
        return
    derivation = derive_hourly_rate(points, p, period, hours, "KES")
    placed = percentile_of(points, derivation.period_value)
    assert placed.outside is None and placed.percentile is not None
    assert abs(placed.percentile - D(p)) < D("1e-15")
    assert placed.between == derivation.interpolated_between or placed.percentile == D(p)


@given(
    points=distributions(),
    p=percentiles,
    period=periods,
    hours=hours_per_month,
    currency=st.sampled_from(sorted(DIGITS)),
)
@settings(max_examples=300)
def test_placing_the_paid_rate_is_off_by_its_rounding_only(
    points: dict[int, Decimal], p: Decimal | int, period: str, hours: Decimal, currency: str
) -> None:
    """The paid rate is rounded half-up to the minor unit: placed back, it is within that
    half unit (times the hours of a period) of the percentile, at the steepest slope."""
    if not _in_range(points, p):
        return
    derivation = derive_hourly_rate(points, p, period, hours, currency)
    per_period = hours if period == "month" else D(1)
    value = derivation.hourly_rate * per_period
    placed = percentile_of(points, value)
    ordered = sorted(points.items())
    steepest = max(
        Fraction(p_hi - p_lo) / (Fraction(v_hi) - Fraction(v_lo))
        for (p_lo, v_lo), (p_hi, v_hi) in zip(ordered, ordered[1:], strict=False)
    )
    error = Fraction(1, 2 * 10 ** DIGITS[currency]) * Fraction(per_period)
    if placed.percentile is None:
        # rounding pushed it just past an end point
        assert placed.outside in ("below", "above")
        end = ordered[0] if placed.outside == "below" else ordered[-1]
        assert abs(Fraction(end[0]) - Fraction(D(p))) <= error * steepest
        return
    assert abs(Fraction(placed.percentile) - Fraction(D(p))) <= error * steepest + Fraction(
        1, 10**15
    )


@given(points=distributions(), a=money, b=money)
def test_placement_is_monotonic_and_never_extrapolates(
    points: dict[int, Decimal], a: Decimal, b: Decimal
) -> None:
    lo, hi = sorted((a, b))
    first, second = percentile_of(points, lo), percentile_of(points, hi)
    low, high = min(points.values()), max(points.values())
    for value, placed in ((lo, first), (hi, second)):
        if value < low:
            assert placed == type(placed)(None, "below", None)
        elif value > high:
            assert placed == type(placed)(None, "above", None)
        else:
            assert placed.percentile is not None and placed.outside is None
            # interpolate takes at most 12 places: read back within their slope
            back = interpolate(points, placed.percentile.quantize(D("1e-12"), rounding=ROUND_DOWN))
            assert abs(back - value) < D("1e-6")
    if first.percentile is not None and second.percentile is not None:
        assert first.percentile <= second.percentile


def test_placement_known_values() -> None:
    assert percentile_of(POINTS, D("20000")).percentile == 50
    # 24000 is half way from p50 (20000) to p75 (28000)
    assert percentile_of(POINTS, D("24000")).percentile == D("62.5")
    assert percentile_of(POINTS, D("9999.99")).outside == "below"
    assert percentile_of(POINTS, D("35000")).percentile == 90
    assert percentile_of(POINTS, D("35000.01")).outside == "above"
