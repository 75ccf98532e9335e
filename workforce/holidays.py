"""Public holidays of a contractor's country and subdivision, from the ``holidays`` package.

Schedule entries carry the holiday's name; pay uses the same lookup to find holiday hours
(it fits :func:`workforce.timeutil.split_by_windows`'s ``holidays`` argument) and to name
them on statements.

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

__all__ = [
    "HolidayLookup",
    "holiday_calendar",
    "holiday_lookup",
    "holiday_scope",
]

HolidayLookup = Callable[[date], str | None]


@cache
def _supported_languages(country: str) -> tuple[str, ...]:
    try:
        return tuple(holidays.country_holidays(country).supported_languages)
    except NotImplementedError:
        return ()


def _language(country: str, locale: Locale | None) -> str | None:
    """The language of ``country``'s calendar closest to ``locale`` (``sw`` for ``sw_KE``),
    or None: the calendar's own default."""
    if locale is None:
        return None
    supported = _supported_languages(country.upper())
    for candidate in (str(locale), locale.language):
        if candidate in supported:
            return candidate
    return None


def holiday_calendar(
    country: str, subdivision: str | None, locale: Locale | None = None
) -> holidays.HolidayBase | None:
    """Public holidays of ``country`` and ``subdivision`` (``US-CA``; the national calendar
    when the package does not know it), named in ``locale``'s language when the calendar
    has it; None when there is no calendar for the country at all. A fresh object each
    call (module docstring)."""
    subdiv = (subdivision.partition("-")[2] or None) if subdivision else None
    return _calendar(country.upper(), subdiv, _language(country, locale))


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
    calendar = holiday_calendar(country, subdivision, locale)
    if calendar is None:
        return lambda _day: None

    def lookup(day: date) -> str | None:
        name = calendar.get(day)
        return str(name) if name else None

    return lookup


def holiday_scope(country: str, subdivision: str | None) -> str | None:
    """Which calendar :func:`holiday_calendar` really uses: ``US-CA``, ``KE``, or None."""
    calendar = holiday_calendar(country, subdivision)
    if calendar is None:
        return None
    return f"{country}-{calendar.subdiv}" if calendar.subdiv else country
