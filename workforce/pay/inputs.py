"""Checks for pay input that arrives as text: CSV cells, policy terms, request fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workforce.errors import InvalidInput
from workforce.i18n import validate_subdivision
from workforce.money import MAX_FRACTION_DIGITS, currency_digits, require_decimal

#: Years a wage distribution, policy or statement may name: keeps the calendar arithmetic
#: (holidays, time zones) within what the libraries know.
MIN_YEAR, MAX_YEAR = 2000, 2100


def parse_decimal(value: Any, field: str, max_places: int = MAX_FRACTION_DIGITS) -> Decimal:
    """A decimal given as a string (``"27000.00"``), ``Decimal`` or ``int``; never a float."""
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError:
            raise InvalidInput.field(field, "must be a decimal number") from None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidInput.field(field, "must be a decimal number (a string)")
    return require_decimal(value, field, max_places=max_places)


def currency_code(value: Any, field: str = "currency") -> str:
    """An ISO 4217 code one can pay people in (``KES``), reported against ``field``."""
    try:
        currency_digits(value)
    except InvalidInput:
        raise InvalidInput.field(
            field, f"{value!r} is not a known ISO 4217 currency code"
        ) from None
    return str(value)


def valid_year(value: Any, field: str = "year") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= MAX_YEAR:
        raise InvalidInput.field(field, f"must be a year from {MIN_YEAR} to {MAX_YEAR}")
    return value


def optional_subdivision(code: str | None, country: str) -> str | None:
    return validate_subdivision(code, country) if code else None
