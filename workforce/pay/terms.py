"""Pay policy terms: the target percentile, hour conversion, floors and premiums.

A policy is stored as numbered versions (:class:`workforce.pay.models.PayPolicy`), each a
complete set of :class:`PolicyTerms`. Every number below is a default a company is
expected to review; each says where it comes from. Percentages are premiums *on top of*
the hourly base rate and add up (a night hour on a public holiday earns base + night +
holiday), never compound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from workforce.errors import InvalidInput
from workforce.harm import TIERS
from workforce.i18n import validate_country
from workforce.pay.inputs import currency_code, parse_decimal
from workforce.timeutil import DEFAULT_NIGHT_END, DEFAULT_NIGHT_START

__all__ = [
    "DEFAULT_CREDENTIAL_PREMIUM_PERCENT",
    "DEFAULT_HAZARD_PREMIUM_PERCENT",
    "DEFAULT_HOLIDAY_PREMIUM_PERCENT",
    "DEFAULT_HOURS_PER_MONTH",
    "DEFAULT_NIGHT_PREMIUM_PERCENT",
    "DEFAULT_OVERTIME_PREMIUM_PERCENT",
    "DEFAULT_OVERTIME_WEEKLY_HOURS",
    "DEFAULT_TARGET_PERCENTILE",
    "DEFAULT_TERMS",
    "Floor",
    "PolicyTerms",
    "Premiums",
]

D = Decimal

#: Companies in this field quote the 60th–70th percentile of local wages; 65 is the middle.
DEFAULT_TARGET_PERCENTILE = D("65")
#: Monthly wages become hourly over 40 h × 52 weeks / 12 months = 173.33 h, the 40-hour
#: week of the ILO Forty-Hour Week Convention (C47, 1935).
DEFAULT_HOURS_PER_MONTH = D("173.33")
#: Night-shift differential of 10 % for work between 22:00 and 06:00 local time: the
#: Philippine Labor Code, art. 86 (the window is timeutil.DEFAULT_NIGHT_START/END).
DEFAULT_NIGHT_PREMIUM_PERCENT = D("10")
#: Work on a public holiday is paid double (a 100 % premium): Philippine Labor Code,
#: art. 94 ("twice his regular rate").
DEFAULT_HOLIDAY_PREMIUM_PERCENT = D("100")
#: Hazard premium by queue tier (0 none, 1 low, 2 high, 3 egregious). No statute sets one:
#: a starting point that rises with the tiers of the exposure policy (docs/architecture.md).
DEFAULT_HAZARD_PREMIUM_PERCENT: Mapping[int, Decimal] = {
    0: D("0"),
    1: D("5"),
    2: D("10"),
    3: D("20"),
}
#: Premium for hours on queues that require a credential (a PhD researcher, a registered
#: nurse reviewing self-harm content). Company choice; a starting point.
DEFAULT_CREDENTIAL_PREMIUM_PERCENT: Mapping[str, Decimal] = {"PHD": D("10"), "RN": D("10")}
#: Time and a half for overtime: US FLSA, 29 U.S.C. § 207(a).
DEFAULT_OVERTIME_PREMIUM_PERCENT = D("50")
#: Overtime starts after 40 hours in a local ISO week: FLSA § 207(a) and ILO C47.
DEFAULT_OVERTIME_WEEKLY_HOURS = D("40")

#: Key of the value used for countries not listed in a per-country map.
DEFAULT_KEY = "default"
#: Upper bound of any premium: far beyond any real one, it catches a misplaced decimal point.
MAX_PERCENT = D("1000")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True, slots=True)
class Floor:
    """A living-wage floor: the hourly rate never goes below ``hourly`` ``currency``."""

    currency: str
    hourly: Decimal


@dataclass(frozen=True, slots=True)
class Premiums:
    """The premium terms for one country, as the statement calculation needs them."""

    night_start: time = DEFAULT_NIGHT_START
    night_end: time = DEFAULT_NIGHT_END
    night_percent: Decimal = DEFAULT_NIGHT_PREMIUM_PERCENT
    holiday_percent: Decimal = DEFAULT_HOLIDAY_PREMIUM_PERCENT
    hazard_percent: Mapping[int, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_HAZARD_PREMIUM_PERCENT)
    )
    credential_percent: Mapping[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_CREDENTIAL_PREMIUM_PERCENT)
    )
    overtime_percent: Decimal = DEFAULT_OVERTIME_PREMIUM_PERCENT
    #: Worked seconds in a local ISO week after which overtime starts.
    overtime_after_seconds: int = int(DEFAULT_OVERTIME_WEEKLY_HOURS * 3600)


@dataclass(frozen=True, slots=True)
class PolicyTerms:
    """One complete version of the pay policy. Per-country maps have a ``default`` entry."""

    target_percentile: Decimal = DEFAULT_TARGET_PERCENTILE
    hours_per_month: Mapping[str, Decimal] = field(
        default_factory=lambda: {DEFAULT_KEY: DEFAULT_HOURS_PER_MONTH}
    )
    living_wage_floors: Mapping[str, Floor] = field(default_factory=dict)
    night_start: time = DEFAULT_NIGHT_START
    night_end: time = DEFAULT_NIGHT_END
    night_premium_percent: Decimal = DEFAULT_NIGHT_PREMIUM_PERCENT
    holiday_premium_percent: Decimal = DEFAULT_HOLIDAY_PREMIUM_PERCENT
    hazard_premium_percent: Mapping[int, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_HAZARD_PREMIUM_PERCENT)
    )
    credential_premium_percent: Mapping[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_CREDENTIAL_PREMIUM_PERCENT)
    )
    overtime_premium_percent: Decimal = DEFAULT_OVERTIME_PREMIUM_PERCENT
    overtime_weekly_hours: Mapping[str, Decimal] = field(
        default_factory=lambda: {DEFAULT_KEY: DEFAULT_OVERTIME_WEEKLY_HOURS}
    )

    def hours_per_month_for(self, country: str) -> Decimal:
        return self.hours_per_month.get(country, self.hours_per_month[DEFAULT_KEY])

    def floor_for(self, country: str) -> Floor | None:
        return self.living_wage_floors.get(country)

    def premiums_for(self, country: str) -> Premiums:
        weekly = self.overtime_weekly_hours.get(country, self.overtime_weekly_hours[DEFAULT_KEY])
        return Premiums(
            night_start=self.night_start,
            night_end=self.night_end,
            night_percent=self.night_premium_percent,
            holiday_percent=self.holiday_premium_percent,
            hazard_percent=dict(self.hazard_premium_percent),
            credential_percent=dict(self.credential_premium_percent),
            overtime_percent=self.overtime_premium_percent,
            # Exact: weekly hours have at most two decimal places (0.01 h = 36 s).
            overtime_after_seconds=int(weekly * 3600),
        )

    def to_json(self) -> dict[str, Any]:
        """The stored and published form: decimals as strings, times as ``HH:MM``."""
        return {
            "target_percentile": _s(self.target_percentile),
            "hours_per_month": {k: _s(v) for k, v in self.hours_per_month.items()},
            "living_wage_floors": {
                k: {"currency": f.currency, "hourly": _s(f.hourly)}
                for k, f in self.living_wage_floors.items()
            },
            "night_window": {
                "start": self.night_start.strftime("%H:%M"),
                "end": self.night_end.strftime("%H:%M"),
            },
            "night_premium_percent": _s(self.night_premium_percent),
            "holiday_premium_percent": _s(self.holiday_premium_percent),
            "hazard_premium_percent": {
                str(k): _s(v) for k, v in sorted(self.hazard_premium_percent.items())
            },
            "credential_premium_percent": {
                k: _s(v) for k, v in sorted(self.credential_premium_percent.items())
            },
            "overtime_premium_percent": _s(self.overtime_premium_percent),
            "overtime_weekly_hours": {k: _s(v) for k, v in self.overtime_weekly_hours.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: PolicyTerms | None = None) -> PolicyTerms:
        """Validate ``data`` (the :meth:`to_json` form, decimals as strings or ``Decimal``).

        Fields missing from ``data`` are taken from ``base`` (default: the built-in
        defaults), so a new version can change one term and keep the rest.
        """
        base = base or DEFAULT_TERMS
        errors: dict[str, list[str]] = {}

        def parse(name: str, fn: Any, default: Any) -> Any:
            if name not in data or data[name] is None:
                return default
            try:
                return fn(data[name], name)
            except InvalidInput as exc:
                for key, messages in exc.errors.items():
                    errors.setdefault(key, []).extend(messages)
                return default

        target = parse("target_percentile", _percentile, base.target_percentile)
        hours = parse(
            "hours_per_month",
            lambda v, n: _country_map(v, n, _bounded(D("1"), D("744"), 2)),
            base.hours_per_month,
        )
        floors = parse("living_wage_floors", _floors, base.living_wage_floors)
        window = parse("night_window", _night_window, (base.night_start, base.night_end))
        night = parse("night_premium_percent", _percent, base.night_premium_percent)
        holiday = parse("holiday_premium_percent", _percent, base.holiday_premium_percent)
        hazard = parse("hazard_premium_percent", _hazard, base.hazard_premium_percent)
        credential = parse(
            "credential_premium_percent", _credentials, base.credential_premium_percent
        )
        overtime = parse("overtime_premium_percent", _percent, base.overtime_premium_percent)
        weekly = parse(
            "overtime_weekly_hours",
            lambda v, n: _country_map(v, n, _bounded(D("1"), D("168"), 2)),
            base.overtime_weekly_hours,
        )
        unknown = sorted(set(data) - set(DEFAULT_TERMS.to_json()))
        for name in unknown:
            errors.setdefault(name, []).append("unknown policy term")
        if errors:
            raise InvalidInput(errors)
        return cls(
            target_percentile=target,
            hours_per_month=hours,
            living_wage_floors=floors,
            night_start=window[0],
            night_end=window[1],
            night_premium_percent=night,
            holiday_premium_percent=holiday,
            hazard_premium_percent=hazard,
            credential_premium_percent=credential,
            overtime_premium_percent=overtime,
            overtime_weekly_hours=weekly,
        )


def _s(value: Decimal) -> str:
    return f"{value:f}"


def _bounded(low: Decimal, high: Decimal, places: int) -> Any:
    def parse(value: Any, name: str) -> Decimal:
        number = parse_decimal(value, name, places)
        if not low <= number <= high:
            raise InvalidInput.field(name, f"must be between {low} and {high}")
        return number

    return parse


def _percentile(value: Any, name: str) -> Decimal:
    number = parse_decimal(value, name, 2)
    if not 1 <= number <= 99:
        raise InvalidInput.field(name, "must be between 1 and 99")
    return number


def _percent(value: Any, name: str) -> Decimal:
    return _bounded(D("0"), MAX_PERCENT, 2)(value, name)


def _mapping(value: Any, name: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput.field(name, "must be an object")
    if len(value) > 300:
        raise InvalidInput.field(name, "has too many entries")
    return value


def _country_key(key: Any, name: str) -> str:
    if key == DEFAULT_KEY:
        return DEFAULT_KEY
    if not isinstance(key, str) or len(key) != 2 or key != key.upper():
        raise InvalidInput.field(name, f"{key!r} is neither 'default' nor a country code (KE)")
    return validate_country(key, name)


def _country_map(value: Any, name: str, parse: Any) -> dict[str, Decimal]:
    out = {_country_key(k, name): parse(v, f"{name}.{k}") for k, v in _mapping(value, name).items()}
    if DEFAULT_KEY not in out:
        raise InvalidInput.field(name, "needs a 'default' entry for the other countries")
    return out


def _floors(value: Any, name: str) -> dict[str, Floor]:
    out: dict[str, Floor] = {}
    for key, item in _mapping(value, name).items():
        if key == DEFAULT_KEY:
            raise InvalidInput.field(name, "floors are per country; there is no default")
        country = _country_key(key, name)
        entry = _mapping(item, f"{name}.{key}")
        if set(entry) != {"currency", "hourly"}:
            raise InvalidInput.field(f"{name}.{key}", "needs exactly 'currency' and 'hourly'")
        currency = currency_code(entry["currency"], f"{name}.{key}.currency")
        hourly = parse_decimal(entry["hourly"], f"{name}.{key}.hourly", 6)
        if hourly <= 0:
            raise InvalidInput.field(f"{name}.{key}.hourly", "must be positive")
        out[country] = Floor(currency, hourly)
    return out


def _wall(value: Any, name: str) -> time:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput.field(name, "must be a local time HH:MM")
    return time(int(match.group(1)), int(match.group(2)))


def _night_window(value: Any, name: str) -> tuple[time, time]:
    entry = _mapping(value, name)
    if set(entry) != {"start", "end"}:
        raise InvalidInput.field(name, "needs exactly 'start' and 'end' (HH:MM)")
    start, end = _wall(entry["start"], f"{name}.start"), _wall(entry["end"], f"{name}.end")
    if start == end:
        raise InvalidInput.field(name, "start and end must differ")
    return start, end


def _hazard(value: Any, name: str) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for key, item in _mapping(value, name).items():
        tier = str(key)
        if tier not in {str(t) for t in TIERS}:
            raise InvalidInput.field(name, f"{key!r} is not a queue tier (0 to 3)")
        out[int(tier)] = _percent(item, f"{name}.{tier}")
    missing = [str(t) for t in TIERS if t not in out]
    if missing:
        raise InvalidInput.field(name, f"needs every tier; missing {', '.join(missing)}")
    return dict(sorted(out.items()))


def _credentials(value: Any, name: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for key, item in _mapping(value, name).items():
        if not isinstance(key, str) or not _CODE.fullmatch(key):
            raise InvalidInput.field(name, f"{key!r} is not a credential code (e.g. PHD, RN)")
        out[key] = _percent(item, f"{name}.{key}")
    return dict(sorted(out.items()))


#: The built-in policy, used until a company stores its own (reported as version 0).
DEFAULT_TERMS = PolicyTerms()
