"""Checks for pay input that arrives as text: CSV cells, policy terms, request fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workforce.errors import InvalidInput
from workforce.money import MAX_FRACTION_DIGITS, currency_digits, require_decimal


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
