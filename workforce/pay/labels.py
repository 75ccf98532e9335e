"""Statement wording in the contractor's language.

The words come from gettext catalogs of the ``pay`` domain,
``workforce/translations/<language>/LC_MESSAGES/pay.po``, read with Babel (no compile step);
English is the source language and the fallback. Holiday names come from the ``holidays``
package in the contractor's language when it has them. Numbers, money and dates are
formatted by Babel in the contractor's locale.
"""

from __future__ import annotations

import datetime as dt
import gettext
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

import holidays
from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from workforce.holidays import holiday_calendar
from workforce.i18n import parse_locale
from workforce.money import format_money

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "pay"
#: Holiday names are stored in this language (every calendar we use has it).
STORED_HOLIDAY_LOCALE = Locale("en", "US")


@cache
def _catalog(name: str) -> gettext.NullTranslations:
    path = TRANSLATIONS / name / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=name, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translations(locale: Locale) -> gettext.NullTranslations:
    """The catalog for ``sw_KE`` (then ``sw``), or English."""
    for name in (str(locale), locale.language):
        catalog = _catalog(name)
        if type(catalog) is not gettext.NullTranslations:
            return catalog
    return gettext.NullTranslations()


class Wording:
    """Translate, and format numbers, money and dates, for one locale."""

    def __init__(self, locale: str | Locale) -> None:
        self.locale = locale if isinstance(locale, Locale) else parse_locale(locale)
        self._t = translations(self.locale)
        self._calendars: dict[tuple[str, str | None], holidays.HolidayBase | None] = {}

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount or a rate at the currency's precision (half-up): ``₱15.23``, never
        ``₱15.231`` (:func:`workforce.money.format_money`)."""
        return format_money(amount, currency, self.locale)

    def hours(self, value: Decimal) -> str:
        """Hours with two decimals, in the locale's separators (``7,50`` in es_CO)."""
        return format_decimal(value, format="#,##0.00", locale=self.locale)

    def date(self, day: dt.date) -> str:
        return format_date(day, "medium", locale=self.locale)

    def holiday(self, name: str, country: str, subdivision: str | None, day: dt.date) -> str:
        """``name`` (stored in English) in this locale's language, when the calendar has it."""
        key = (country, subdivision)
        if key not in self._calendars:
            self._calendars[key] = holiday_calendar(country, subdivision, self.locale)
        calendar = self._calendars[key]
        if calendar is None:
            return name
        return calendar.get(day) or name
