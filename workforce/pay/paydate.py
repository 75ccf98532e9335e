"""When a statement is paid: the pay date printed on the slip.

The rule (docs/pay.md, "The pay date"): the ``WORKFORCE_PAY_DATE_BUSINESS_DAYS``-th business
day after the later of the period's last day and the day the statement was finalized
(a draft counts from the period's last day). A business day is Monday to Friday and not a
public holiday of the contractor's country and subdivision, the calendar the statement was
paid with. 0 means the start day itself when it is a business day, else the next one.
"""

from __future__ import annotations

import datetime as dt

import holidays

from workforce.holidays import holiday_calendar

#: Saturday and Sunday (``date.weekday()``).
WEEKEND = frozenset({5, 6})


def is_business_day(day: dt.date, country: str, subdivision: str | None) -> bool:
    """Monday to Friday and not a public holiday of the country and subdivision."""
    return _business(day, holiday_calendar(country, subdivision))


def _business(day: dt.date, calendar: holidays.HolidayBase | None) -> bool:
    return day.weekday() not in WEEKEND and (calendar is None or day not in calendar)


def pay_date(
    period_end: dt.date,
    finalized_on: dt.date | None,
    business_days: int,
    country: str,
    subdivision: str | None,
) -> dt.date:
    """The ``business_days``-th business day after ``max(period_end, finalized_on)``."""
    if business_days < 0:
        raise ValueError("business_days must be 0 or more")
    day = max(period_end, finalized_on) if finalized_on else period_end
    calendar = holiday_calendar(country, subdivision)

    if business_days == 0:
        while not _business(day, calendar):
            day += dt.timedelta(days=1)
        return day
    counted = 0
    while counted < business_days:
        day += dt.timedelta(days=1)
        if _business(day, calendar):
            counted += 1
    return day
