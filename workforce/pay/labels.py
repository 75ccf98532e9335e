"""Statement wording in the contractor's language.

The words come from the compiled gettext catalogs of the ``pay`` domain
(``workforce/translations/<language>/LC_MESSAGES/pay.po``, compiled by ``make
translations``), loaded by the one loader, :func:`workforce.i18n.catalog`; the languages
are :data:`workforce.i18n.SLIP_LANGUAGES`. English is the source language and the fallback.
Strings are marked by calling a :class:`Wording` named ``w`` with a literal (``w("Rate")``),
which is how ``make translations-update`` extracts them into ``pay.pot``. Holiday names
come from the ``holidays`` package in the contractor's language when it has them. Numbers,
money and dates are formatted by Babel in the contractor's locale.
"""

from __future__ import annotations

import datetime as dt
import gettext
from decimal import Decimal

import holidays
import pycountry
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from workforce.holidays import holiday_calendar
from workforce.i18n import SLIP_LANGUAGES, catalog, credential_name, parse_locale
from workforce.money import format_money

DOMAIN = "pay"
#: Holiday names are stored in this language (every calendar we use has it).
STORED_HOLIDAY_LOCALE = Locale("en", "US")


def translations(locale: Locale) -> gettext.NullTranslations:
    """The ``pay`` catalog of the locale's language (``sw_KE`` reads ``sw``), or English."""
    language = "fil" if locale.language == "tl" else locale.language
    if language in SLIP_LANGUAGES:
        return catalog(language, DOMAIN)
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

    def credential(self, code: str) -> str:
        """A credential premium's code as a person reads it (``sw`` -> ``Kiswahili``,
        ``RESILIENCE_TRAINING`` -> its translated name): :func:`workforce.i18n.credential_name`."""
        return credential_name(None, code, self._t.gettext, self.locale)

    def place(self, country: str, subdivision: str | None = None) -> str:
        """Where wage data is from, by name: the country in this locale (``KE`` ->
        ``Kenya``), after the subdivision's ISO 3166-2 name when there is one."""
        name = str(self.locale.territories.get(country, country))
        found = pycountry.subdivisions.get(code=subdivision) if subdivision else None
        return f"{found.name}, {name}" if found is not None else name

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
