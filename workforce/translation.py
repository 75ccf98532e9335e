"""The portal's language: gettext catalogs (Babel) and locale-aware formatting.

The language of a page is, in order: the one the contractor chose on the page (kept in the
session), the language of the contractor's own locale, the browser's Accept-Language, and
English. Formats (dates, times, money) follow the chosen language in the contractor's
country where CLDR knows that combination (``sw_KE``, ``en_KE``, ``es_US``), so a Kenyan
who reads English still sees Kenyan formats.

Catalogs live in ``workforce/translations/<lang>/LC_MESSAGES/messages.po`` and are compiled
to ``.mo`` at install (``make translations``). Strings in Python code are marked with
:func:`gettext` (``_``) or, where they are defined before a request exists, :func:`N_`.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units
from babel.support import Translations
from flask import g, has_request_context

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
#: The portal's languages, each named in itself (a switcher must be readable by those who
#: need it, whatever language the page is in now).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "sw": "Kiswahili",
    "fil": "Filipino",
    "es": "Español",
}
DEFAULT_LANGUAGE = "en"


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English needs none), loaded once per process."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    loaded = Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")
    if not isinstance(loaded, Translations):
        log.warning("no compiled catalog for %r: run `make translations`", language)
    return loaded


def supported_language(locale: str | None) -> str | None:
    """The portal language of a CLDR locale (``sw_KE`` -> ``sw``, ``tl`` -> ``fil``)."""
    if not locale:
        return None
    if locale in LANGUAGES:
        return locale
    try:
        language = Locale.parse(locale.replace("-", "_")).language
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return language if language in LANGUAGES else None


def formatting_locale(language: str, locale: str | None, country: str | None) -> Locale:
    """The CLDR locale used to format for someone reading ``language``."""
    if locale and supported_language(locale) == language:
        try:
            return Locale.parse(locale)
        except (UnknownLocaleError, ValueError):
            pass
    if country:
        try:
            return Locale.parse(f"{language}_{country}")
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(language)


# --- the current request's language (set by the portal before each request) ---------


def current_language() -> str:
    return str(g.get("portal_lang", DEFAULT_LANGUAGE)) if has_request_context() else "en"


def current_locale() -> Locale:
    if has_request_context() and "portal_locale" in g:
        return g.portal_locale
    return Locale.parse(DEFAULT_LANGUAGE)


def current_zone() -> ZoneInfo:
    if has_request_context() and "portal_zone" in g:
        return g.portal_zone
    return ZoneInfo("UTC")


def raw_gettext(message: str) -> str:
    """The translation of ``message`` (Jinja's newstyle gettext formats it afterwards)."""
    return translations(current_language()).gettext(message)


def raw_ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def gettext(message: str, **variables: Any) -> str:
    """Translate ``message`` into the page's language and fill ``%(name)s`` variables."""
    text = raw_gettext(message)
    return text % variables if variables else text


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translate when shown)."""
    return message


# --- formatting, in the page's locale -------------------------------------------------


def format_date(value: dt.date, format: str = "medium") -> str:
    """A date; an instant is first put on the contractor's own calendar."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(current_zone()).date()
    return babel_dates.format_date(value, format=format, locale=current_locale())


def format_datetime(value: dt.datetime, format: str = "medium") -> str:
    """An instant on the contractor's own clock."""
    return babel_dates.format_datetime(
        value, format=format, tzinfo=current_zone(), locale=current_locale()
    )


def format_time(value: dt.datetime, format: str = "short") -> str:
    return babel_dates.format_time(
        value, format=format, tzinfo=current_zone(), locale=current_locale()
    )


def format_money(amount: Decimal, currency: str) -> str:
    """Money as the reader expects it; Babel formats, it never rounds a stored amount."""
    if not isinstance(amount, Decimal):
        raise TypeError("money must be a Decimal")
    return babel_numbers.format_currency(
        amount, currency, locale=current_locale(), currency_digits=True
    )


def format_number(value: int | Decimal) -> str:
    return babel_numbers.format_decimal(value, locale=current_locale())


def format_minutes(value: float | int) -> str:
    """A duration in minutes ("45 min", "dk 45"), as the exposure view writes it."""
    return babel_units.format_unit(
        value, "duration-minute", length="short", locale=current_locale()
    )


def country_name(code: str) -> str:
    return str(current_locale().territories.get(code, code))


def currency_name(code: str) -> str:
    return babel_numbers.get_currency_name(code, locale=current_locale())


def locale_name(code: str) -> str:
    try:
        return str(Locale.parse(code).get_display_name(current_locale()) or code)
    except (UnknownLocaleError, ValueError):
        return code
