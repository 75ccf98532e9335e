"""Working-time limits per country: the numbers the hour rules of :mod:`rules` apply.

The default is :class:`~workforce.scheduling.rules.ShiftLimits` (11 h rest, 12 h shifts,
48 h a local week). Countries whose law is stricter get an entry below, and every value
can be changed without a release through the ``SHIFT_LIMITS`` setting (environment
variable ``WORKFORCE_SHIFT_LIMITS``, JSON), e.g.::

    WORKFORCE_SHIFT_LIMITS='{"default": {"weekly_hours": 45}, "KE": {"max_shift_hours": 10}}'

Keys are ``default`` or an ISO 3166-1 alpha-2 country; each names only the fields it
changes (``rest_hours``, ``max_shift_hours``, ``weekly_hours``). A country entry applies
on top of the built-in entry for that country, which applies on top of the default.

The limits are planning rules, stricter than some laws on purpose: the EU directive lets
48 h be an average over up to four months, but a rota that stays under 48 h every week
never has to be averaged. Ops may override an hour rule for one shift, with a reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from workforce.scheduling.rules import ShiftLimits

__all__ = ["COUNTRY_LIMITS", "DEFAULT_LIMITS", "limits_for", "validate_limit_settings"]

DEFAULT_LIMITS = ShiftLimits()

#: Built-in limits where the law is stricter than the default (checked 2026; revisit
#: with legal review before adding a country).
COUNTRY_LIMITS: dict[str, ShiftLimits] = {
    # France, Code du travail: at most 10 h of work a day (L3121-18), at most 48 h in any
    # one week (L3121-20), 11 consecutive hours of daily rest (L3131-1).
    "FR": ShiftLimits(rest_hours=11, max_shift_hours=10, weekly_hours=48),
    # Germany, Arbeitszeitgesetz: working days of at most 10 h (§ 3), 11 h rest after
    # the working day (§ 5); six 8-hour days make the 48 h week.
    "DE": ShiftLimits(rest_hours=11, max_shift_hours=10, weekly_hours=48),
}

#: Sanity bounds for configured values: past these a value is a typo, not a policy.
_BOUNDS = {"rest_hours": (0, 48), "max_shift_hours": (1, 24), "weekly_hours": (1, 168)}


def _apply(base: ShiftLimits, changes: Mapping[str, Any], where: str) -> ShiftLimits:
    if not isinstance(changes, Mapping):
        raise ValueError(f"SHIFT_LIMITS[{where!r}] must be an object of limits")
    values: dict[str, float] = {}
    for name, value in changes.items():
        if name not in _BOUNDS:
            raise ValueError(f"SHIFT_LIMITS[{where!r}]: unknown limit {name!r}")
        low, high = _BOUNDS[name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise ValueError(f"SHIFT_LIMITS[{where!r}][{name!r}] must be a number in {low}..{high}")
        values[name] = value
    return dataclasses.replace(base, **values)


def validate_limit_settings(settings: Mapping[str, Any] | None) -> None:
    """Raise ``ValueError`` for a malformed ``SHIFT_LIMITS`` setting."""
    for key, changes in (settings or {}).items():
        if key != "default" and (len(key) != 2 or not key.isalpha() or not key.isupper()):
            raise ValueError(f"SHIFT_LIMITS key {key!r} is not 'default' or a country code")
        _apply(DEFAULT_LIMITS, changes, key)


def limits_for(country: str, settings: Mapping[str, Any] | None = None) -> ShiftLimits:
    """The limits for a contractor working in ``country`` (ISO 3166-1 alpha-2)."""
    settings = settings or {}
    country = country.upper()
    limits = _apply(DEFAULT_LIMITS, settings.get("default", {}), "default")
    if country in COUNTRY_LIMITS:
        built_in = COUNTRY_LIMITS[country]
        limits = dataclasses.replace(
            limits,
            **{
                f.name: getattr(built_in, f.name)
                for f in dataclasses.fields(built_in)
                if getattr(built_in, f.name) != getattr(DEFAULT_LIMITS, f.name)
            },
        )
    return _apply(limits, settings.get(country, {}), country)
