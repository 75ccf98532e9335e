"""Public holidays of a contractor's country and subdivision, from the ``holidays`` package.

Schedule entries carry the holiday's name; pay uses the same lookup to find holiday hours
(it fits :func:`workforce.timeutil.split_by_windows`'s ``holidays`` argument).

* Subdivisions are stored as ISO 3166-2 (``US-NY``); ``holidays`` wants ``NY``. A
  subdivision the package does not know falls back to the country's national holidays.
* A country the package does not know has no holidays (never an error).
* Names come in the locale's language when the country's calendar has it (``sw`` for
  Kenya: "Siku ya Jamhuri"), otherwise in the calendar's own default language.
* ``holidays`` calendars fill themselves in year by year as they are asked, so they are
  not shared between threads: each lookup builds its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

import holidays
from babel import Locale

__all__ = ["holiday_lookup"]

HolidayLookup = Callable[[date], str | None]


@cache
def _supported_languages(country: str) -> tuple[str, ...]:
    try:
        return tuple(holidays.country_holidays(country).supported_languages)
    except NotImplementedError:
        return ()


def _language(country: str, locale: Locale | None) -> str | None:
    if locale is None:
        return None
    supported = _supported_languages(country)
    for candidate in (str(locale), locale.language):
        if candidate in supported:
            return candidate
    return None


def _calendar(
    country: str, subdiv: str | None, language: str | None
) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country, subdiv=subdiv, language=language)
    except NotImplementedError:  # unknown country, or a subdivision it does not have
        if subdiv is None:
            return None
        return _calendar(country, None, language)


def holiday_lookup(
    country: str, subdivision: str | None, locale: Locale | None = None
) -> HolidayLookup:
    """``day -> holiday name or None`` for a contractor's public holidays."""
    subdiv = (subdivision.partition("-")[2] or None) if subdivision else None
    calendar = _calendar(country.upper(), subdiv, _language(country.upper(), locale))
    if calendar is None:
        return lambda _day: None

    def lookup(day: date) -> str | None:
        name = calendar.get(day)
        return str(name) if name else None

    return lookup
