"""The pay calculation (workforce.pay.statements): known cases and properties."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.errors import Conflict
from workforce.holidays import holiday_lookup
from workforce.pay.labels import STORED_HOLIDAY_LOCALE
from workforce.pay.statements import (
    Calculation,
    PayLine,
    WorkedInterval,
    calculate,
    difference,
    line_amount,
)
from workforce.pay.terms import DEFAULT_TERMS, Premiums
from workforce.timeutil import local_day_bounds

D = Decimal
PREMIUMS = DEFAULT_TERMS.premiums_for("KE")


def holidays_of(country: str, subdivision: str | None = None):  # type: ignore[no-untyped-def]
    return holiday_lookup(country, subdivision, STORED_HOLIDAY_LOCALE)


def local(tz: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold)  # type: ignore[misc]


def by_kind(calc: Calculation) -> dict[tuple[date, str, str | None], tuple[int, Decimal]]:
    return {(ln.work_date, ln.kind, ln.detail): (ln.seconds, ln.amount) for ln in calc.lines}


def half_up(x: Fraction, digits: int) -> Fraction:
    scaled = abs(x) * 10**digits
    magnitude = math.floor(scaled + Fraction(1, 2))
    return Fraction(magnitude if x >= 0 else -magnitude, 10**digits)


# --- known cases ----------------------------------------------------------------------


def test_shift_across_midnight_into_a_kenyan_public_holiday() -> None:
    """20:00 on 19 Oct to 04:00 on Mashujaa Day (20 Oct 2026), Nairobi time."""
    tz = "Africa/Nairobi"
    shift = WorkedInterval(local(tz, 2026, 10, 19, 20), local(tz, 2026, 10, 20, 4), tier=1)
    calc = calculate(
        [shift],
        first_day=date(2026, 10, 1),
        last_day=date(2026, 10, 31),
        tz=ZoneInfo(tz),
        currency="KES",
        base_rate=D("207.70"),
        premiums=PREMIUMS,
        holidays=holidays_of("KE"),
    )
    eve, day = date(2026, 10, 19), date(2026, 10, 20)
    assert by_kind(calc) == {
        (eve, "base", None): (4 * 3600, D("830.80")),
        (eve, "night", None): (2 * 3600, D("41.54")),  # 22:00-24:00 at 10 %
        (eve, "hazard", "1"): (4 * 3600, D("41.54")),  # tier 1 at 5 %
        (day, "base", None): (4 * 3600, D("830.80")),
        (day, "night", None): (4 * 3600, D("83.08")),
        (day, "holiday", "Mashujaa Day"): (4 * 3600, D("830.80")),  # double time
        (day, "hazard", "1"): (4 * 3600, D("41.54")),
    }
    assert calc.total == D("2700.10")
    assert [ln.kind for ln in calc.lines] == [
        "base",
        "night",
        "hazard",
        "base",
        "night",
        "holiday",
        "hazard",
    ]


def test_night_shift_in_manila() -> None:
    """22:00 to 06:00 Manila time: every hour is night, split at local midnight."""
    tz = "Asia/Manila"
    shift = WorkedInterval(local(tz, 2026, 9, 14, 22), local(tz, 2026, 9, 15, 6))
    calc = calculate(
        [shift],
        first_day=date(2026, 9, 14),
        last_day=date(2026, 9, 15),
        tz=ZoneInfo(tz),
        currency="PHP",
        base_rate=D("143.39"),
        premiums=DEFAULT_TERMS.premiums_for("PH"),
        holidays=holidays_of("PH"),
    )
    assert by_kind(calc) == {
        (date(2026, 9, 14), "base", None): (7200, D("286.78")),
        (date(2026, 9, 14), "night", None): (7200, D("28.68")),  # 28.678 → 28.68
        (date(2026, 9, 15), "base", None): (6 * 3600, D("860.34")),
        (date(2026, 9, 15), "night", None): (6 * 3600, D("86.03")),  # 86.034 → 86.03
    }
    assert calc.total == D("1261.83")


def test_overtime_in_the_week_summer_time_ends_in_chicago() -> None:
    """ISO week 26 Oct – 1 Nov 2026; clocks fall back at 02:00 on Sunday 1 Nov.

    Monday to Thursday 10 h a day reach the 40 h threshold; the Sunday shift from 00:00
    to 06:00 on the wall clock lasts 7 real hours, all overtime and all night.
    """
    tz = "America/Chicago"
    shifts = [
        WorkedInterval(local(tz, 2026, 10, day, 8), local(tz, 2026, 10, day, 18))
        for day in (26, 27, 28, 29)
    ]
    shifts.append(WorkedInterval(local(tz, 2026, 11, 1, 0), local(tz, 2026, 11, 1, 6)))
    calc = calculate(
        shifts,
        first_day=date(2026, 10, 26),
        last_day=date(2026, 11, 1),
        tz=ZoneInfo(tz),
        currency="USD",
        base_rate=D("30.00"),
        premiums=DEFAULT_TERMS.premiums_for("US"),
    )
    sunday = by_kind(calc)
    assert sunday[(date(2026, 11, 1), "base", None)] == (7 * 3600, D("210.00"))
    assert sunday[(date(2026, 11, 1), "overtime", None)] == (7 * 3600, D("105.00"))
    assert sunday[(date(2026, 11, 1), "night", None)] == (7 * 3600, D("21.00"))
    assert not [ln for ln in calc.lines if ln.kind == "overtime" and ln.work_date.month == 10]
    assert calc.total == D("1200.00") + D("210.00") + D("105.00") + D("21.00")


def test_overtime_counts_earlier_work_of_the_week_outside_the_period() -> None:
    """The period starts on Thursday; Monday to Wednesday's 36 h still count."""
    tz = "America/Chicago"
    shifts = [
        WorkedInterval(local(tz, 2026, 10, day, 8), local(tz, 2026, 10, day, 20))
        for day in (26, 27, 28, 29)
    ]
    calc = calculate(
        shifts,
        first_day=date(2026, 10, 29),
        last_day=date(2026, 10, 29),
        tz=ZoneInfo(tz),
        currency="USD",
        base_rate=D("20.00"),
        premiums=DEFAULT_TERMS.premiums_for("US"),
    )
    assert by_kind(calc) == {
        (date(2026, 10, 29), "base", None): (12 * 3600, D("240.00")),
        (date(2026, 10, 29), "overtime", None): (8 * 3600, D("80.00")),
    }


@pytest.mark.parametrize(
    ("currency", "rate", "seconds", "expected"),
    [
        # KWD has three decimals: 1.235 × 2.5 h = 3.0875 → 3.088 (half-up, not half-even)
        ("KWD", D("1.235"), 9000, D("3.088")),
        ("KWD", D("1.235"), 3600, D("1.235")),
        # JPY has none: 1,250 × 0.5 h = 625; 1,251 × 0.5 h = 625.5 → 626
        ("JPY", D("1250"), 1800, D("625")),
        ("JPY", D("1251"), 1800, D("626")),
        ("JPY", D("1251"), 1, D("0")),  # 0.3475 yen
        ("KES", D("207.70"), 1, D("0.06")),  # 0.0576...
    ],
)
def test_rounding_per_currency(
    currency: str, rate: Decimal, seconds: int, expected: Decimal
) -> None:
    amount = line_amount(seconds, rate, D(100), currency)
    assert amount == expected
    assert str(amount) == str(expected)  # exactly the currency's digits


def test_kwd_and_jpy_statements_round_each_line_once() -> None:
    tz = ZoneInfo("Asia/Kuwait")
    shift = WorkedInterval(
        datetime(2026, 3, 2, 5, tzinfo=UTC), datetime(2026, 3, 2, 12, 20, tzinfo=UTC)
    )
    premiums = Premiums(night_percent=D("12.5"), hazard_percent={0: D(0)})
    kwd = calculate(
        [shift],
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 2),
        tz=tz,
        currency="KWD",
        base_rate=D("1.845"),
        premiums=premiums,
    )
    # 08:00-15:20 local: 7 h 20 min of day work. 1.845 × 22/3 = 13.53 exactly.
    assert [(ln.kind, ln.amount) for ln in kwd.lines] == [("base", D("13.530"))]
    jpy = calculate(
        [
            WorkedInterval(
                local("Asia/Tokyo", 2026, 3, 2, 21), local("Asia/Tokyo", 2026, 3, 3, 5, 10)
            )
        ],
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 3),
        tz=ZoneInfo("Asia/Tokyo"),
        currency="JPY",
        base_rate=D("1333"),
        premiums=premiums,
    )
    assert [(ln.work_date.day, ln.kind, ln.amount) for ln in jpy.lines] == [
        (2, "base", D("3999")),  # 3 h
        (2, "night", D("333")),  # 2 h × 12.5 % = 333.25
        (3, "base", D("6887")),  # 5 h 10 min = 6887.1666…
        (3, "night", D("861")),  # 860.89…
    ]
    assert jpy.total == D("12080")


def test_overlapping_shifts_are_a_conflict() -> None:
    a = WorkedInterval(
        datetime(2026, 1, 5, 8, tzinfo=UTC), datetime(2026, 1, 5, 12, tzinfo=UTC), shift_id=1
    )
    b = WorkedInterval(
        datetime(2026, 1, 5, 11, tzinfo=UTC), datetime(2026, 1, 5, 13, tzinfo=UTC), shift_id=2
    )
    with pytest.raises(Conflict) as exc:
        calculate(
            [a, b],
            first_day=date(2026, 1, 5),
            last_day=date(2026, 1, 5),
            tz=UTC,
            currency="USD",
            base_rate=D("10"),
            premiums=PREMIUMS,
        )
    assert exc.value.code == "overlapping_shifts"
    assert "1 and 2" in exc.value.detail


def test_credential_premium_only_for_codes_with_a_premium() -> None:
    shift = WorkedInterval(
        datetime(2026, 1, 5, 8, tzinfo=UTC),
        datetime(2026, 1, 5, 9, tzinfo=UTC),
        tier=3,
        credential_codes=frozenset({"RN", "PHD", "CPR_TRAINING"}),
    )
    calc = calculate(
        [shift],
        first_day=date(2026, 1, 5),
        last_day=date(2026, 1, 5),
        tz=UTC,
        currency="USD",
        base_rate=D("10.00"),
        premiums=PREMIUMS,
    )
    assert [(ln.kind, ln.detail, ln.amount) for ln in calc.lines] == [
        ("base", None, D("10.00")),
        ("hazard", "3", D("2.00")),
        ("credential", "PHD", D("1.00")),
        ("credential", "RN", D("1.00")),
    ]


def test_adjustment_difference_adds_up() -> None:
    day = date(2026, 1, 5)
    paid = [PayLine(day, "base", None, 3600, D(100), D("10.00"))]
    new = [
        PayLine(day, "base", None, 5400, D(100), D("15.00")),
        PayLine(day, "night", None, 1800, D(10), D("0.50")),
    ]
    assert difference(new, paid, "USD") == (
        PayLine(day, "base", None, 1800, D(100), D("5.00")),
        PayLine(day, "night", None, 1800, D(10), D("0.50")),
    )
    assert difference(paid, new, "USD") == (
        PayLine(day, "base", None, -1800, D(100), D("-5.00")),
        PayLine(day, "night", None, -1800, D(10), D("-0.50")),
    )
    assert difference(new, new, "USD") == ()


# --- properties -----------------------------------------------------------------------

ZONES = [
    "UTC",
    "Africa/Nairobi",
    "Asia/Manila",
    "Asia/Kolkata",
    "America/Bogota",
    "America/Chicago",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",  # UTC+12:45 / +13:45
]
CURRENCIES = ["JPY", "KES", "KWD", "CLF", "USD"]
START = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def worked(draw: st.DrawFn) -> list[WorkedInterval]:
    """Non-overlapping intervals over about three months (crossing DST changes)."""
    at = START + timedelta(seconds=draw(st.integers(0, 80 * 86400)))
    out = []
    for _ in range(draw(st.integers(0, 14))):
        at += timedelta(seconds=draw(st.integers(0, 5 * 86400)))
        length = timedelta(seconds=draw(st.integers(1, 16 * 3600)))
        out.append(
            WorkedInterval(
                at,
                at + length,
                tier=draw(st.integers(0, 3)),
                credential_codes=draw(st.frozensets(st.sampled_from(["PHD", "RN", "JD"]))),
            )
        )
        at += length
    return out


percents = st.decimals(min_value=0, max_value=300, places=2)


@st.composite
def premium_terms(draw: st.DrawFn) -> Premiums:
    night = draw(
        st.sampled_from(
            [(dt.time(22), dt.time(6)), (dt.time(21, 30), dt.time(5)), (dt.time(0), dt.time(7))]
        )
    )
    return Premiums(
        night_start=night[0],
        night_end=night[1],
        night_percent=draw(percents),
        holiday_percent=draw(percents),
        hazard_percent={t: draw(percents) for t in range(4)},
        credential_percent={"PHD": draw(percents), "RN": draw(percents)},
        overtime_percent=draw(percents),
        overtime_after_seconds=draw(st.integers(1, 60)) * 3600,
    )


@st.composite
def rates(draw: st.DrawFn, currency: str) -> Decimal:
    digits = {"JPY": 0, "KES": 2, "KWD": 3, "CLF": 4, "USD": 2}[currency]
    return draw(st.decimals(min_value=D(1).scaleb(-digits), max_value=D(100000), places=digits))


def fake_holidays(day: date) -> str | None:
    return "Feast" if day.toordinal() % 11 == 0 else None


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    currency = draw(st.sampled_from(CURRENCIES))
    first = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 60)))
    return {
        "intervals": draw(worked()),
        "first_day": first,
        "last_day": first + timedelta(days=draw(st.integers(0, 61))),
        "tz": ZoneInfo(draw(st.sampled_from(ZONES))),
        "currency": currency,
        "base_rate": draw(rates(currency)),
        "premiums": draw(premium_terms()),
        "holidays": fake_holidays,
    }


PROPERTY = settings(max_examples=100, deadline=None)


@PROPERTY
@given(scenario=scenarios())
def test_line_items_always_sum_to_the_total(scenario: dict[str, object]) -> None:
    calc = calculate(**scenario)  # type: ignore[arg-type]
    assert sum((ln.amount for ln in calc.lines), D(0)) == calc.total
    keys = [(ln.work_date, ln.kind, ln.detail) for ln in calc.lines]
    assert len(keys) == len(set(keys))


@PROPERTY
@given(scenario=scenarios(), data=st.data())
def test_splitting_a_period_in_two_gives_the_same_total(
    scenario: dict[str, object], data: st.DataObject
) -> None:
    first, last = scenario["first_day"], scenario["last_day"]
    assert isinstance(first, date) and isinstance(last, date)
    if first == last:
        return
    cut = first + timedelta(days=data.draw(st.integers(0, (last - first).days - 1)))
    whole = calculate(**scenario)  # type: ignore[arg-type]
    left = calculate(**{**scenario, "last_day": cut})  # type: ignore[arg-type]
    right = calculate(**{**scenario, "first_day": cut + timedelta(days=1)})  # type: ignore[arg-type]
    assert left.total + right.total == whole.total
    assert left.lines + right.lines == whole.lines


@PROPERTY
@given(scenario=scenarios())
def test_no_float_anywhere_in_the_money_path(scenario: dict[str, object]) -> None:
    with decimal.localcontext() as ctx:
        # Any float mixed into a Decimal operation (or comparison) now raises.
        ctx.traps[decimal.FloatOperation] = True
        calc = calculate(**scenario)  # type: ignore[arg-type]
    assert type(calc.total) is Decimal
    for ln in calc.lines:
        assert type(ln.amount) is Decimal and type(ln.percent) is Decimal
        assert type(ln.seconds) is int


@PROPERTY
@given(scenario=scenarios())
def test_rounding_is_exact_at_every_precision(scenario: dict[str, object]) -> None:
    calc = calculate(**scenario)  # type: ignore[arg-type]
    currency = scenario["currency"]
    digits = {"JPY": 0, "KES": 2, "KWD": 3, "CLF": 4, "USD": 2}[currency]  # type: ignore[index]
    rate = Fraction(scenario["base_rate"])  # type: ignore[arg-type]
    for ln in calc.lines:
        exact = Fraction(ln.seconds) * rate * Fraction(ln.percent) / 360000
        assert Fraction(ln.amount) == half_up(exact, digits)
        assert -ln.amount.as_tuple().exponent == digits  # type: ignore[operator]


@PROPERTY
@given(scenario=scenarios())
def test_hours_are_conserved_and_overtime_is_the_excess_of_each_week(
    scenario: dict[str, object],
) -> None:
    calc = calculate(**scenario)  # type: ignore[arg-type]
    tz = scenario["tz"]
    first, last = scenario["first_day"], scenario["last_day"]
    premiums = scenario["premiums"]
    assert isinstance(premiums, Premiums) and isinstance(first, date) and isinstance(last, date)
    # Real seconds worked per local date: each interval's overlap with each local day.
    per_day: dict[date, int] = defaultdict(int)
    for interval in scenario["intervals"]:  # type: ignore[attr-defined]
        day = interval.start.astimezone(tz).date() - timedelta(days=1)
        while day <= interval.end.astimezone(tz).date():
            lo, hi = local_day_bounds(day, tz)  # type: ignore[arg-type]
            overlap = min(hi, interval.end) - max(lo, interval.start)
            per_day[day] += max(0, overlap // timedelta(seconds=1))
            day += timedelta(days=1)
    base = {ln.work_date: ln.seconds for ln in calc.lines if ln.kind == "base"}
    assert base == {d: s for d, s in per_day.items() if first <= d <= last and s}
    # Whole weeks inside the period: overtime is exactly the excess over the threshold.
    overtime = defaultdict(int)
    for ln in calc.lines:
        if ln.kind == "overtime":
            overtime[ln.work_date - timedelta(days=ln.work_date.weekday())] += ln.seconds
    if premiums.overtime_percent:
        monday = first + timedelta(days=(7 - first.weekday()) % 7)
        while monday + timedelta(days=6) <= last:
            week = sum(per_day[monday + timedelta(days=i)] for i in range(7))
            assert overtime[monday] == max(0, week - premiums.overtime_after_seconds)
            monday += timedelta(days=7)
