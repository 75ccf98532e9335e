"""Locales, territories and languages with Babel, and the one gettext loader.

Every sentence a person reads (portal pages, emails, rotation explanations, pay
statements and slips) is looked up in a compiled gettext catalog loaded by :func:`catalog`:
``workforce/translations/<language>/LC_MESSAGES/<domain>.mo``, compiled from the ``.po``
files by ``make translations`` (``pybabel compile``). Two domains: ``messages`` (the
portal, emails, explanations, spreadsheet titles) and ``pay`` (statements and slips). The
languages each surface ships are written once, here, and used by the app and the tests
(docs/development.md, "Translations"). Babel formats; it never computes money.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from gettext import NullTranslations
from pathlib import Path

import pycountry
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies
from babel.support import Translations

from workforce.errors import InvalidInput

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
#: The language the sources are written in; it needs no catalog.
SOURCE_LANGUAGE = "en"
#: The portal, its emails and explanations (domain ``messages``).
PORTAL_LANGUAGES: tuple[str, ...] = ("sw", "fil", "es")
#: Pay statements and slips (domain ``pay``).
SLIP_LANGUAGES: tuple[str, ...] = ("sw", "fil", "es", "hi", "ar")
#: Each gettext domain and the languages shipped for it (besides English).
DOMAINS: dict[str, tuple[str, ...]] = {"messages": PORTAL_LANGUAGES, "pay": SLIP_LANGUAGES}


@cache
def catalog(language: str, domain: str = "messages") -> NullTranslations:
    """The compiled catalog of ``language`` in ``domain``, loaded once per process.

    English, and a language the domain does not ship, read the source strings. A shipped
    language without its ``.mo`` file is an installation fault: logged, then English.
    """
    if language not in DOMAINS[domain]:
        return NullTranslations()
    loaded = Translations.load(str(TRANSLATIONS_DIR), [language], domain=domain)
    if not isinstance(loaded, Translations):
        log.warning("no compiled %s catalog for %r: run `make translations`", domain, language)
    return loaded


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translate when shown)."""
    return message


#: Names of the credential codes the product itself uses (the demo's, the usual
#: requirements); any other code is shown with spaces for underscores (``FIRST_AID`` ->
#: ``First aid``). In both domains: the portal shows them and so do pay slips.
CREDENTIAL_NAMES: dict[str, str] = {
    "RESILIENCE_TRAINING": N_("Resilience training"),
    "PHD": N_("Doctorate (PhD)"),
    "RN": N_("Registered nurse (RN)"),
    "JD": N_("Law degree (JD)"),
}


def credential_name(
    kind: str | None, code: str, translate: Callable[[str], str], reader: Locale | str
) -> str:
    """A credential as a person reads it, never its raw code: a language credential's
    language named in the reader's language (``sw`` -> ``Kiswahili``), a known code's
    translated name, otherwise the code with spaces (``FIRST_AID`` -> ``First aid``).
    ``kind`` may be unknown (a pay line knows only the code): a lower-case code is then a
    language."""
    if kind == "language" or (kind is None and code.islower()):
        return language_name(code, reader)
    if code in CREDENTIAL_NAMES:
        return translate(CREDENTIAL_NAMES[code])
    if "_" in code:
        return code.replace("_", " ").capitalize()
    return code


def language_name(code: str, reader: Locale | str) -> str:
    """A language or locale code (``sw``, ``fil_PH``) named in the reader's language
    (``Kiswahili``, ``Kiingereza``). A language CLDR has no locale for is named from CLDR's
    list of language names, else by ISO 639 (in English: a name, never the bare code); only
    a code neither knows comes back as is."""
    reading = reader if isinstance(reader, Locale) else Locale.parse(reader)
    shown: str | None = None
    with suppress(UnknownLocaleError, ValueError, TypeError):
        shown = Locale.parse(code.replace("-", "_")).get_display_name(reading)
    if not shown:
        found = pycountry.languages.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
        shown = reading.languages.get(code) or (found.name if found is not None else None)
    if not shown:
        return code
    return shown[:1].upper() + shown[1:]


@dataclass(frozen=True)
class TerritoryDefaults:
    timezones: tuple[str, ...]
    locale: str | None
    currency: str | None


def validate_country(code: str, field: str = "country") -> str:
    code = code.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise InvalidInput.field(field, f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return code


def validate_subdivision(code: str, country: str, field: str = "subdivision") -> str:
    code = code.upper()
    subdivision = pycountry.subdivisions.get(code=code)
    if subdivision is None:
        raise InvalidInput.field(field, f"'{code}' is not an ISO 3166-2 subdivision code")
    if subdivision.country_code != country:
        raise InvalidInput.field(field, f"'{code}' is not a subdivision of {country}")
    return code


def parse_locale(value: str, field: str = "locale") -> Locale:
    try:
        return Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput.field(field, f"'{value}' is not a known CLDR locale") from None


def validate_locale(value: str, field: str = "locale") -> str:
    return str(parse_locale(value, field))


def validate_currency(code: str, field: str = "currency") -> str:
    code = code.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise InvalidInput.field(field, f"'{code}' is not an ISO 4217 currency code")
    return code


def territory_defaults(country: str) -> TerritoryDefaults:
    """Time zones, the most widely spoken official language, and the legal tender."""
    zones = tuple(get_global("territory_zones").get(country, ()))
    languages = get_global("territory_languages").get(country, {})
    ranked = sorted(
        (
            (info.get("population_percent", 0), lang)
            for lang, info in languages.items()
            if info.get("official_status") in ("official", "de_facto_official")
        ),
        reverse=True,
    )
    locale = None
    for _share, lang in ranked:
        try:
            locale = str(Locale.parse(f"{lang}_{country}"))
            break
        except (UnknownLocaleError, ValueError):
            continue
    currencies = get_territory_currencies(country, tender=True)
    return TerritoryDefaults(zones, locale, currencies[0] if currencies else None)
