"""The portal's language: gettext catalogs (Babel) and locale-aware formatting.

The language of a page is, in order: the one the contractor chose on the page (kept in the
session), the language of the contractor's own locale, the browser's Accept-Language, and
English. Formats (dates, times, money) follow the chosen language in the contractor's
country where CLDR knows that combination (``sw_KE``, ``en_KE``, ``es_US``), so a Kenyan
who reads English still sees Kenyan formats.

Catalogs live in ``workforce/translations/<lang>/LC_MESSAGES/messages.po`` and are compiled
to ``.mo`` at install (``make translations``); they are loaded by the one loader,
:func:`workforce.i18n.catalog`. Strings in Python code are marked with
:func:`gettext` (``_``) or, where they are defined before a request exists, :func:`N_`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from gettext import NullTranslations
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units
from flask import g, has_request_context

from workforce.i18n import N_ as N_  # the portal marks strings through this module
from workforce.i18n import (
    PORTAL_LANGUAGES,
    SOURCE_LANGUAGE,
    catalog,
    credential_name,
    language_name,
)

#: The portal's languages, each named in itself (a switcher must be readable by those who
#: need it, whatever language the page is in now): English and :data:`PORTAL_LANGUAGES`.
LANGUAGES: dict[str, str] = {
    code: language_name(code, code) for code in (SOURCE_LANGUAGE, *PORTAL_LANGUAGES)
}
DEFAULT_LANGUAGE = SOURCE_LANGUAGE


def translations(language: str) -> NullTranslations:
    """The portal's compiled catalog of ``language`` (:func:`workforce.i18n.catalog`)."""
    return catalog(language, "messages")


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


def credential_label(code: str, kind: str | None = None) -> str:
    """A credential's code in the page's language (:func:`workforce.i18n.credential_name`);
    the template filter ``credential_name``."""
    return credential_name(kind, str(code), raw_gettext, current_locale())


def locale_name(code: str) -> str:
    """A locale or language code named in the page's language (``Kiswahili (Kenya)``)."""
    return language_name(code, current_locale())
