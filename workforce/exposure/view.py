"""A contractor's exposure: minutes per local day, tier and category, and where they stand
today against every limit. Staff see numbers; the contractor's own view adds ``display``
strings in their locale (Babel formats; nothing is computed from the strings)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.units import format_unit
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.errors import InvalidInput
from workforce.exposure.models import ExposureDaily
from workforce.exposure.standing import standing, tier_standing
from workforce.timeutil import local_date

#: Longest range of days one view covers.
MAX_DAYS = 366
#: Days shown when no range is asked for (today and the 13 before: two weeks).
DEFAULT_DAYS = 14


def _minutes(seconds: int) -> float:
    return round(seconds / 60, 1)


def _range(today: dt.date, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or (today if start is None else min(today, start + dt.timedelta(DEFAULT_DAYS - 1)))
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput.field("from", "must not be after 'to'")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput.field("to", f"a view covers at most {MAX_DAYS} days")
    return start, end


class _Display:
    def __init__(self, locale: str, zone: ZoneInfo) -> None:
        self.locale = Locale.parse(locale)
        self.zone = zone

    def date(self, day: dt.date) -> str:
        return format_date(day, format="medium", locale=self.locale)

    def minutes(self, minutes: float | int) -> str:
        return format_unit(minutes, "duration-minute", length="short", locale=self.locale)

    def instant(self, at: dt.datetime) -> str:
        return format_datetime(at, format="short", tzinfo=self.zone, locale=self.locale)

    def tier(self, entry: dict[str, Any]) -> dict[str, str]:
        """A :func:`tier_standing`'s minutes and break end in words."""
        shown = {
            "today": self.minutes(entry["today_minutes"]),
            "rolling_7_days": self.minutes(entry["rolling_7_day_minutes"]),
        }
        if entry["remaining_minutes_today"] is not None:
            shown["remaining_today"] = self.minutes(entry["remaining_minutes_today"])
        if entry["break_until"]:
            shown["break_until"] = self.instant(entry["break_until"])
        return shown


def exposure_view(
    session: Session,
    contractor: Contractor,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    at: dt.datetime,
    localized: bool = False,
    locale: str | None = None,
) -> dict[str, Any]:
    """Days ``start``..``end`` (contractor-local, default the last two weeks) and today's
    standing at ``at``. ``remaining_minutes_today`` and ``break_due`` of a tier entry are
    what applies to work on a queue of that tier (every limit of tiers 1..t). ``localized``
    adds ``display`` strings in ``locale`` (default the contractor's own)."""
    zone = ZoneInfo(contractor.timezone)
    today = local_date(at, zone)
    start, end = _range(today, start, end)
    now = standing(session, contractor, at)
    shown_locale = locale or contractor.locale
    display = _Display(shown_locale, zone) if localized else None
    days = []
    for day, tier, category, seconds, items, events in session.execute(
        select(
            ExposureDaily.local_day,
            ExposureDaily.tier,
            ExposureDaily.category,
            func.sum(ExposureDaily.seconds),
            func.sum(ExposureDaily.items),
            func.sum(ExposureDaily.events),
        )
        .where(
            ExposureDaily.contractor_id == contractor.id,
            ExposureDaily.local_day >= start,
            ExposureDaily.local_day <= end,
        )
        # one entry per day x tier x category, whichever queues the exposure came from
        .group_by(ExposureDaily.local_day, ExposureDaily.tier, ExposureDaily.category)
        .order_by(ExposureDaily.local_day, ExposureDaily.tier.desc(), ExposureDaily.category)
    ):
        row: dict[str, Any] = {
            "date": day,
            "tier": tier,
            "category": category,
            "seconds": int(seconds),
            "minutes": _minutes(int(seconds)),
            "items": int(items),
            "events": int(events),
        }
        if display:
            row["display"] = {
                "date": display.date(day),
                "duration": display.minutes(row["minutes"]),
            }
        days.append(row)
    entries = {tier: tier_standing(now, tier) for tier in now.tiers}
    if display:
        for entry in entries.values():
            entry["display"] = display.tier(entry)
    # The 7 days and consecutive days at the top are the broadest counts: any disturbing
    # content (tier 1 and above).
    broadest = entries[min(entries)]
    break_until = now.break_until(max(now.tiers))
    result: dict[str, Any] = {
        "contractor_id": contractor.id,
        "timezone": contractor.timezone,
        "from": start,
        "to": end,
        "today": today,
        "policy_version": now.policy.version,
        "days": days,
        "tiers": [entries[tier] for tier in sorted(entries, reverse=True)],
        "rolling_7_day_minutes": broadest["rolling_7_day_minutes"],
        "consecutive_days": broadest["consecutive_days"],
        "break_due": break_until is not None,
        "break_until": break_until,
    }
    if display:
        result["locale"] = shown_locale
        result["display"] = {
            "today": display.date(today),
            "period": f"{display.date(start)} – {display.date(end)}",
            **({"break_until": display.instant(break_until)} if break_until else {}),
        }
    return result
