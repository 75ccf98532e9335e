"""Money rounding, validation and formatting (workforce.money)."""

from __future__ import annotations

import ast
import math
import re
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from babel import Locale
from babel.numbers import get_decimal_symbol
from hypothesis import given
from hypothesis import strategies as st

from workforce.errors import InvalidInput
from workforce.money import (
    currency_digits,
    format_money,
    require_decimal,
    round_money,
    to_money_string,
)
from workforce.pay.labels import Wording

D = Decimal
CURRENCIES = {"JPY": 0, "KES": 2, "KWD": 3}


def half_up_oracle(x: Decimal, digits: int) -> Fraction:
    """ROUND_HALF_UP by exact rational arithmetic: away from zero on a tie."""
    scaled = abs(Fraction(x)) * 10**digits
    magnitude = math.floor(scaled + Fraction(1, 2))
    return Fraction(magnitude if x >= 0 else -magnitude, 10**digits)


@pytest.mark.parametrize(("code", "digits"), [("JPY", 0), ("KWD", 3), ("KES", 2), ("INR", 2)])
def test_currency_digits(code: str, digits: int) -> None:
    assert currency_digits(code) == digits


@pytest.mark.parametrize("code", ["ABC", "usd", "US", "USDX", "", "XAU", "XXX", "XTS", None, 840])
def test_unknown_or_non_monetary_currency_rejected(code: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        currency_digits(code)  # type: ignore[arg-type]
    assert list(exc.value.errors) == ["currency"]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "KES", "2.35"),
        ("-2.345", "KES", "-2.35"),
        ("2.344999", "KES", "2.34"),
        ("0.5", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),  # half-even would give 2
        ("-0.5", "JPY", "-1"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004999", "KWD", "1.000"),
        ("1E+3", "JPY", "1000"),
        ("7", "KWD", "7.000"),
    ],
)
def test_round_money_half_up_examples(amount: str, currency: str, expected: str) -> None:
    rounded = round_money(D(amount), currency)
    assert str(rounded) == expected
    assert rounded.as_tuple().exponent == -currency_digits(currency)


def test_negative_amount_rounding_to_zero_is_plain_zero() -> None:
    rounded = round_money(D("-0.001"), "KES")
    assert str(rounded) == "0.00"
    assert not rounded.is_signed()


@given(
    x=st.decimals(min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(sorted(CURRENCIES)),
)
def test_round_money_is_exact_half_up(x: Decimal, currency: str) -> None:
    digits = CURRENCIES[currency]
    rounded = round_money(x, currency)
    assert rounded.as_tuple().exponent == -digits
    half_unit = Fraction(1, 2 * 10**digits)
    assert abs(Fraction(rounded) - Fraction(x)) <= half_unit
    assert Fraction(rounded) == half_up_oracle(x, digits)


@given(
    k=st.integers(min_value=-(10**9), max_value=10**9),
    currency=st.sampled_from(sorted(CURRENCIES)),
)
def test_ties_round_away_from_zero(k: int, currency: str) -> None:
    digits = CURRENCIES[currency]
    tie = (D(k) + D("0.5")).scaleb(-digits)  # exactly half a minor unit past k units
    rounded = round_money(tie, currency)
    assert abs(rounded) > abs(tie)
    assert abs(rounded - tie) == D("0.5").scaleb(-digits)


def test_rounding_ignores_the_ambient_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_FLOOR
        assert round_money(D("12345.675"), "KES") == D("12345.68")


@pytest.mark.parametrize("bad", [2.345, 1.0, True, "2.35", None])
def test_float_and_other_types_rejected(bad: object) -> None:
    with pytest.raises(TypeError):
        round_money(bad, "KES")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_money_string(bad, "KES")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_money(bad, "KES", "en_KE")  # type: ignore[arg-type]


def test_int_is_accepted() -> None:
    assert round_money(12, "KWD") == D("12.000")


@pytest.mark.parametrize("bad", ["NaN", "sNaN", "Infinity", "-Infinity", "1E+15", "1E+999999999"])
def test_non_finite_or_huge_amounts_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        round_money(D(bad), "KES")
    assert list(exc.value.errors) == ["amount"]


def test_require_decimal_limits_places_of_inputs() -> None:
    assert require_decimal(D("1.500000000000000000"), "rate") == D("1.5")  # trailing zeros
    with pytest.raises(InvalidInput) as exc:
        require_decimal(D("1E-13"), "rate")
    assert exc.value.errors == {"rate": ["has more than 12 decimal places"]}
    assert require_decimal(D("1E-13"), max_places=None) == D("1E-13")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1500", "JPY", "1500"),
        ("1499.5", "JPY", "1500"),
        ("1.25", "KWD", "1.250"),
        ("1E+3", "JPY", "1000"),
        ("-0.001", "KES", "0.00"),
        ("1234567.891", "KES", "1234567.89"),
    ],
)
def test_to_money_string(amount: str, currency: str, expected: str) -> None:
    assert to_money_string(D(amount), currency) == expected


def test_format_money_en_in_lakh_grouping() -> None:
    assert format_money(D("1234567.89"), "INR", "en_IN") == "₹12,34,567.89"
    assert format_money(D("1234567.89"), "INR", "en-IN") == "₹12,34,567.89"


def test_format_money_rounds_half_up_not_half_even() -> None:
    # Babel on its own would show 2.34 (half-even); the paid amount is 2.35.
    assert "2.35" in format_money(D("2.345"), "KES", "en_KE")
    assert format_money(D("1500.4"), "JPY", "ja_JP") == "￥1,500"


def test_a_rate_with_more_digits_than_the_currency_is_shown_at_its_precision() -> None:
    # A 10 % night premium on a PHP base rate of 152.31 is 15.231 PHP an hour.
    assert format_money(D("15.231"), "PHP", "fil_PH") == "₱15.23"
    assert format_money(D("15.235"), "PHP", "en_PH") == "₱15.24"
    assert format_money(D("20.765"), "KES", Locale.parse("sw_KE")) == "Ksh\xa020.77"


#: The slip's languages, each with the currency of a country that speaks it.
SHOWN = [
    ("en_KE", "KES"),
    ("sw_KE", "KES"),
    ("fil_PH", "PHP"),
    ("es_CO", "COP"),
    ("hi_IN", "INR"),
    ("ar_KW", "KWD"),
    ("ja_JP", "JPY"),
]


@given(
    st.sampled_from(SHOWN),
    st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
)
def test_money_and_rates_are_shown_at_exactly_the_currency_precision(
    shown: tuple[str, str], amount: Decimal
) -> None:
    """Whatever digits an amount or a rate carries, a person reads exactly the currency's
    minor-unit digits, and they are the half-up rounding of the value."""
    locale, currency = shown
    text = format_money(amount, currency, locale)
    parsed = Locale.parse(locale)
    decimal_sign = get_decimal_symbol(parsed)
    number = re.search(r"\d(.*\d)?", text)  # the currency sign may hold a "." (د.ك.)
    assert number is not None, text
    digits = "".join(ch for ch in number.group() if ch.isdigit() or ch == decimal_sign)
    whole, _, fraction = digits.partition(decimal_sign)
    assert len(fraction) == currency_digits(currency), text
    assert D(f"{whole}.{fraction}" if fraction else whole) == round_money(amount, currency)
    # The pay statement and the slip show lines, rates and totals through the same function.
    assert Wording(locale).money(amount, currency) == text


@pytest.mark.parametrize("locale", ["xx_YY", "", "../x", "en_IN_foo_bar_baz", "en IN"])
def test_format_money_bad_locale(locale: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        format_money(D("1"), "KES", locale)
    assert list(exc.value.errors) == ["locale"]


def test_no_float_in_the_money_path() -> None:
    for module in ("workforce/money.py", "workforce/pay/wages.py"):
        source = Path(__file__).resolve().parents[1] / module
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), module
            is_float_call = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "float"
            )
            assert not is_float_call, module
