"""Money as :class:`~decimal.Decimal` in a currency's minor unit; never ``float``.

Every amount that is paid, stored or shown goes through :func:`round_money` once, with
``ROUND_HALF_UP`` (a contractor reading "2.345 → 2.35" expects the schoolbook rule, not
banker's rounding). The number of minor-unit digits comes from CLDR via Babel so that the
amount we pay and the amount we display always agree.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, is_currency

from workforce.errors import InvalidInput

__all__ = [
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "currency_digits",
    "format_money",
    "require_decimal",
    "round_money",
    "to_money_string",
]

#: Bounds on any amount entering the money path. Far beyond any wage, but they stop
#: ``Decimal("1E+999999999")`` from making ``quantize`` allocate gigabytes.
MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 12

# ISO 4217 codes Babel knows that are not money one can pay a person in: precious metals,
# bond-market units, the IMF's SDR, the testing code and "no currency".
_NOT_PAYABLE = frozenset(
    {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
)
_CODE = re.compile(r"[A-Z]{3}")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}")


def currency_digits(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 ``currency`` (JPY 0, KES 2, KWD 3).

    Codes must be upper case; an unknown or non-monetary code raises ``InvalidInput``.
    """
    if (
        not isinstance(currency, str)
        or not _CODE.fullmatch(currency)
        or currency in _NOT_PAYABLE
        or not is_currency(currency)
    ):
        raise InvalidInput.field("currency", f"{currency!r} is not a known ISO 4217 currency code")
    return int(get_currency_precision(currency))


def require_decimal(
    value: object, field: str = "amount", *, max_places: int | None = MAX_FRACTION_DIGITS
) -> Decimal:
    """Return ``value`` as a finite, reasonably sized ``Decimal`` (``int`` is accepted).

    ``float`` (and ``bool``, ``str``) raise ``TypeError``: they are programming errors, not
    user input, and a float has already lost the cents. Non-finite values, values of 10**15
    or more, and values with more than ``max_places`` significant decimal places (``None``:
    no limit) raise ``InvalidInput`` for ``field``.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{field} must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidInput.field(field, "must be a finite number")
    if amount and amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidInput.field(field, "is too large")
    if max_places is not None and _fraction_digits(amount) > max_places:
        raise InvalidInput.field(field, f"has more than {max_places} decimal places")
    return amount


def _fraction_digits(value: Decimal) -> int:
    """Significant decimal places of a finite value (``Decimal("1.500")`` → 1)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, so never 'n'/'N'/'F'
    # Count trailing zeros by hand: normalize() would round under the ambient context.
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing)) if any(digits) else 0


def round_money(amount: Decimal | int, currency: str) -> Decimal:
    """Round ``amount`` half-up to ``currency``'s minor unit (``2.345`` KES → ``2.35``).

    The result always has exactly ``currency_digits(currency)`` decimal places, and a
    negative amount that rounds to zero becomes plain ``0`` (never ``-0.00``).
    """
    # Computed amounts (a monthly wage / hours) may carry many decimals; only size matters.
    value = require_decimal(amount, max_places=None)
    digits = currency_digits(currency)
    # A private context: the caller's precision/traps must not change what we pay, and
    # quantize needs room for every integer digit plus the minor unit.
    with localcontext() as ctx:
        ctx.prec = max(28, value.adjusted() + digits + 3)
        rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = rounded.copy_abs()
    return rounded


def to_money_string(amount: Decimal | int, currency: str) -> str:
    """The rounded amount as a plain decimal string: ``"1500"`` JPY, ``"1.250"`` KWD."""
    # Rounded values have a small negative or zero exponent, so "f" never shows E-notation.
    return format(round_money(amount, currency), "f")


def format_money(amount: Decimal | int, currency: str, locale: str | Locale) -> str:
    """Localised display string at the currency's precision, e.g.
    ``format_money(Decimal("1234567.89"), "INR", "en_IN")`` → ``"₹12,34,567.89"``.

    Every amount *and rate* shown to a person goes through here: it rounds half-up to the
    currency's minor unit first (Babel alone would round half-even, and with
    ``decimal_quantization=False`` would print every digit: a night premium rate of
    ``15.231`` PHP must read ``₱15.23``), then Babel formats exactly those digits.
    """
    rounded = round_money(amount, currency)
    if isinstance(locale, Locale):
        parsed = locale
    else:
        if not isinstance(locale, str) or not _LOCALE.fullmatch(locale):
            raise InvalidInput.field("locale", f"{locale!r} is not a locale identifier")
        try:
            parsed = Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError) as exc:
            raise InvalidInput.field("locale", f"{locale!r} is not a known locale") from exc
    return format_currency(rounded, currency, locale=parsed, currency_digits=True)
