"""Locales, territories and formatting with Babel. Babel formats; it never computes money."""

from __future__ import annotations

from dataclasses import dataclass

import pycountry
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies

from workforce.errors import InvalidInput


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
