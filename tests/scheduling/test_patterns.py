"""expand_weekly_pattern: local wall times survive DST; durations are real time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.errors import InvalidInput
from workforce.scheduling.patterns import expand_weekly_pattern, local_to_utc

ZONES = [
    "America/Bogota",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "Australia/Sydney",
    "Africa/Nairobi",
]
NEW_YORK = ZoneInfo("America/New_York")


@cache
def transition_dates(zone: str) -> tuple[date, ...]:
    """Local dates on which the UTC offset changes, found by a daily scan (2000-2037)."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(2000, 1, 1, 12, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment.year < 2038:
        moment += timedelta(days=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(moment.astimezone(tz).date())
        previous = offset
    return tuple(found)


def instants_showing(wall: datetime, zone: str) -> list[datetime]:
    """Every UTC instant whose local time in ``zone`` is ``wall`` (brute force over offsets)."""
    tz = ZoneInfo(zone)
    probe = wall.replace(tzinfo=UTC)
    offsets = {(probe + timedelta(hours=h)).astimezone(tz).utcoffset() for h in range(-48, 49)}
    hits = []
    for offset in offsets:
        assert offset is not None
        instant = (wall - offset).replace(tzinfo=UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall:
            hits.append(instant)
    return sorted(hits)


@st.composite
def plans(draw: st.DrawFn) -> dict:
    zone = draw(st.sampled_from(ZONES))
    changes = transition_dates(zone)
    if len(changes) > 0 and draw(st.booleans()):
        # a week that contains a DST change, so the interesting cases are frequent
        start = draw(st.sampled_from(changes)) - timedelta(days=draw(st.integers(0, 8)))
    else:
        start = draw(st.dates(date(2000, 1, 1), date(2037, 12, 1)))
    # DST changes happen between midnight and 03:00, so weigh those hours
    hour = draw(st.integers(0, 3) | st.integers(0, 23))
    minute = draw(st.sampled_from([0, 30, 59]) | st.integers(0, 59))
    return {
        "zone": zone,
        "days_of_week": draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)),
        "local_start": time(hour, minute),
        "duration": timedelta(minutes=draw(st.integers(1, 24 * 60))),
        "start_date": start,
        "until": start + timedelta(days=draw(st.integers(0, 45))),
    }


@settings(max_examples=300, deadline=None)
@given(plans())
def test_expanded_shifts_keep_local_wall_time_and_real_duration(plan: dict) -> None:
    zone = plan.pop("zone")
    shifts = expand_weekly_pattern(**plan, tz=ZoneInfo(zone))

    matching = [
        plan["start_date"] + timedelta(days=n)
        for n in range((plan["until"] - plan["start_date"]).days + 1)
        if (plan["start_date"] + timedelta(days=n)).weekday() in plan["days_of_week"]
    ]
    assert len(shifts) == len(matching)
    tz = ZoneInfo(zone)
    for day, (starts_at, ends_at) in zip(matching, shifts, strict=True):
        assert starts_at.utcoffset() == timedelta(0)
        assert ends_at - starts_at == plan["duration"]
        wall = datetime.combine(day, plan["local_start"])
        showing = instants_showing(wall, zone)
        if showing:
            # exists (once, or twice in a fold): the first occurrence
            assert starts_at == showing[0]
        else:
            # in a gap: the first instant after it, i.e. just before it the clock read
            # earlier than the wall time and at it the clock reads later
            just_before = (starts_at - timedelta(microseconds=1)).astimezone(tz)
            assert just_before.replace(tzinfo=None) < wall
            assert starts_at.astimezone(tz).replace(tzinfo=None) > wall
    assert [s for s, _ in shifts] == sorted({s for s, _ in shifts})


def test_nine_am_new_york_is_13z_in_summer_and_14z_in_winter() -> None:
    shifts = expand_weekly_pattern(
        [0], time(9), timedelta(hours=8), date(2026, 3, 2), date(2026, 3, 9), NEW_YORK
    )
    assert shifts == [
        (datetime(2026, 3, 2, 14, tzinfo=UTC), datetime(2026, 3, 2, 22, tzinfo=UTC)),
        (datetime(2026, 3, 9, 13, tzinfo=UTC), datetime(2026, 3, 9, 21, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        # spring forward 02:00 -> 03:00 EDT: 02:30 moves to 03:00 EDT
        ("America/New_York", datetime(2026, 3, 8, 2, 30), datetime(2026, 3, 8, 7, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 8, 2, 0), datetime(2026, 3, 8, 7, tzinfo=UTC)),
        # BST starts 01:00 GMT -> 02:00 BST
        ("Europe/London", datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 1, tzinfo=UTC)),
        # AEDT starts 02:00 AEST -> 03:00 AEDT
        (
            "Australia/Sydney",
            datetime(2026, 10, 4, 2, 15),
            datetime(2026, 10, 3, 16, tzinfo=UTC),
        ),
    ],
)
def test_gap_moves_to_first_valid_instant(zone: str, wall: datetime, expected: datetime) -> None:
    assert local_to_utc(wall, ZoneInfo(zone)) == expected
    ((starts_at, ends_at),) = expand_weekly_pattern(
        [wall.weekday()], wall.time(), timedelta(hours=1), wall.date(), wall.date(), ZoneInfo(zone)
    )
    assert (starts_at, ends_at) == (expected, expected + timedelta(hours=1))


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        # 01:30 happens in EDT and again in EST; take the EDT one
        (
            "America/New_York",
            datetime(2026, 11, 1, 1, 30),
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        ),
        # 02:30 happens in AEDT (+11) and again in AEST (+10)
        (
            "Australia/Sydney",
            datetime(2026, 4, 5, 2, 30),
            datetime(2026, 4, 4, 15, 30, tzinfo=UTC),
        ),
    ],
)
def test_fold_takes_first_occurrence(zone: str, wall: datetime, expected: datetime) -> None:
    assert local_to_utc(wall, ZoneInfo(zone)) == expected


def test_eight_hour_shift_over_fall_back_lasts_eight_real_hours() -> None:
    ((starts_at, ends_at),) = expand_weekly_pattern(
        [6], time(0), timedelta(hours=8), date(2026, 11, 1), date(2026, 11, 1), NEW_YORK
    )
    assert ends_at - starts_at == timedelta(hours=8)
    # the clock only advanced 7 hours because 01:00-02:00 was repeated
    assert ends_at.astimezone(NEW_YORK).time() == time(7)


def test_whole_year_is_allowed() -> None:
    shifts = expand_weekly_pattern(
        range(7), time(9), timedelta(hours=1), date(2028, 1, 1), date(2028, 12, 31), NEW_YORK
    )
    assert len(shifts) == 366


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"days_of_week": []}, "days_of_week"),
        ({"days_of_week": [0, 0]}, "days_of_week"),
        ({"days_of_week": [7]}, "days_of_week"),
        ({"days_of_week": [-1]}, "days_of_week"),
        ({"days_of_week": [True]}, "days_of_week"),
        ({"until": date(2026, 2, 28)}, "until"),
        ({"until": date(2027, 3, 2)}, "until"),  # 367 days inclusive
        ({"duration": timedelta(0)}, "duration"),
        ({"duration": timedelta(minutes=-5)}, "duration"),
        ({"duration": timedelta(hours=24, seconds=1)}, "duration"),
        ({"local_start": time(9, tzinfo=UTC)}, "local_start"),
    ],
)
def test_invalid_plans_name_the_field(overrides: dict, field: str) -> None:
    plan = {
        "days_of_week": [0, 2],
        "local_start": time(9),
        "duration": timedelta(hours=8),
        "start_date": date(2026, 3, 1),
        "until": date(2026, 3, 31),
        "tz": NEW_YORK,
    } | overrides
    with pytest.raises(InvalidInput) as caught:
        expand_weekly_pattern(**plan)
    assert list(caught.value.errors) == [field]
    assert caught.value.status == 422


def test_limits_are_inclusive() -> None:
    shifts = expand_weekly_pattern(
        [6], time(0), timedelta(hours=24), date(2026, 3, 1), date(2027, 3, 1), NEW_YORK
    )
    assert all(end - start == timedelta(hours=24) for start, end in shifts)
