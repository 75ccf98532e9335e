"""Aware datetimes, zones and local-time splitting (workforce.timeutil).

The splitting tests compare against an independent oracle: the label (local date, night?)
of an instant, computed by converting that single instant to the zone.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.errors import InvalidInput
from workforce.timeutil import (
    Segment,
    load_zone,
    local_date,
    local_day_bounds,
    local_week_start,
    require_aware,
    split_by_local_day,
    split_by_windows,
)

ZONES = [
    "America/Bogota",
    "America/New_York",
    "Asia/Kolkata",
    "Africa/Nairobi",
    "Asia/Manila",
    "Europe/London",
    "Australia/Lord_Howe",
]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
LOW, HIGH = datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def night_oracle(t: time, window: tuple[time, time] = (time(22), time(6))) -> bool:
    begin, finish = window
    return begin <= t < finish if begin < finish else t >= begin or t < finish


def label(
    at: datetime, tz: ZoneInfo, window: tuple[time, time] = (time(22), time(6))
) -> tuple[date, bool]:
    local = at.astimezone(tz)
    return local.date(), night_oracle(local.time(), window)


def whole_seconds(a: datetime, b: datetime) -> int:
    return (b - EPOCH) // timedelta(seconds=1) - (a - EPOCH) // timedelta(seconds=1)


def fake_holidays(day: date) -> str | None:
    return "Feast" if day.toordinal() % 5 == 0 else None


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """Offset changes of ``zone`` in 1900–2040: daily scan, then bisection to the µs."""
    tz = ZoneInfo(zone)
    found = []
    prev = datetime(1900, 1, 1, tzinfo=UTC)
    while prev < datetime(2040, 1, 1, tzinfo=UTC):
        nxt = prev + timedelta(days=1)
        if prev.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = prev, nxt
            while hi - lo > US:
                mid = lo + (hi - lo) // 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        prev = nxt
    return tuple(found)


@st.composite
def zone_and_interval(draw: st.DrawFn) -> tuple[ZoneInfo, datetime, datetime]:
    """A zone and an interval of up to 3 days, often straddling one of its transitions."""
    zone = draw(st.sampled_from(ZONES))
    near = transitions(zone)
    span = int((HIGH - LOW).total_seconds())
    around_transition = draw(st.booleans())
    if near and around_transition:
        anchor = draw(st.sampled_from(near))
        start = anchor + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    else:
        start = LOW + timedelta(seconds=draw(st.integers(0, span)))
    if draw(st.booleans()):
        start += timedelta(microseconds=draw(st.integers(0, 999_999)))
    length = timedelta(seconds=draw(st.integers(1, 3 * 86400)))
    if draw(st.booleans()):
        length += timedelta(microseconds=draw(st.integers(0, 999_999)))
    # Inputs need not be in UTC: hand the start over in the zone itself.
    return ZoneInfo(zone), start.astimezone(ZoneInfo(zone)), start + length


def assert_tiles(pieces: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> None:
    assert pieces, "a non-empty interval yields at least one piece"
    assert pieces[0][0] == start
    assert pieces[-1][1] == end
    for (_, a_end), (b_start, _) in zip(pieces, pieces[1:], strict=False):
        assert a_end == b_start  # no gap, no overlap
    for a, b in pieces:
        assert a < b
        assert a.tzinfo is UTC and b.tzinfo is UTC


# --- require_aware / load_zone ------------------------------------------------------


def test_require_aware_converts_to_utc() -> None:
    at = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert require_aware(at, "start") == datetime(2025, 3, 1, 4, 0, tzinfo=UTC)
    assert require_aware(at, "start").tzinfo is UTC


def test_require_aware_rejects_naive() -> None:
    with pytest.raises(InvalidInput) as exc:
        require_aware(datetime(2025, 3, 1, 9, 30), "start")
    assert exc.value.errors == {"start": ["must include a UTC offset"]}


def test_require_aware_rejects_non_datetime() -> None:
    with pytest.raises(InvalidInput) as exc:
        require_aware(date(2025, 3, 1), "end")  # type: ignore[arg-type]
    assert list(exc.value.errors) == ["end"]


@pytest.mark.parametrize("name", [*ZONES, "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"])
def test_load_zone_accepts_iana_names(name: str) -> None:
    assert load_zone(name).key == name


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "",
        "../etc/passwd",
        "UTC ",
        " UTC",
        "utc",
        "America",
        "/etc/localtime",
        "localtime",
        "posixrules",
        "Factory",
        "right/UTC",
        "zone.tab",
        "America//New_York",
        "America/New_York/",
        "UTC\x00",
        "A" * 500,
        None,
    ],
)
def test_load_zone_rejects_bad_names(name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        load_zone(name, field="tz")
    assert list(exc.value.errors) == ["tz"]


# --- local dates ------------------------------------------------------------------


def test_local_date_differs_from_utc_date() -> None:
    at = datetime(2025, 6, 30, 20, 0, tzinfo=UTC)
    assert local_date(at, ZoneInfo("Asia/Manila")) == date(2025, 7, 1)
    assert local_date(at, ZoneInfo("America/Bogota")) == date(2025, 6, 30)
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2025, 6, 30), ZoneInfo("UTC"))


@given(st.dates())
def test_local_week_start_is_iso_monday(day: date) -> None:
    monday = local_week_start(day)
    assert monday.weekday() == 0
    assert monday.isocalendar()[:2] == day.isocalendar()[:2]
    assert timedelta(0) <= day - monday < timedelta(days=7)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("America/New_York", date(2025, 3, 9), 23),
        ("America/New_York", date(2025, 11, 2), 25),
        ("America/New_York", date(2025, 11, 3), 24),
        ("Europe/London", date(2025, 3, 30), 23),
        ("Australia/Lord_Howe", date(2025, 4, 6), 24.5),  # fall back by half an hour
        ("Australia/Lord_Howe", date(2025, 10, 5), 23.5),
        ("Africa/Nairobi", date(2025, 3, 30), 24),
    ],
)
def test_local_day_bounds_length(zone: str, day: date, hours: float) -> None:
    start, end = local_day_bounds(day, ZoneInfo(zone))
    assert (end - start) == timedelta(hours=hours)
    assert start.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == datetime.combine(day, time(0))


def test_day_starts_at_transition_when_midnight_is_skipped() -> None:
    # Chile springs forward at 24:00 → 01:00: 2024-09-08 has no midnight.
    tz = ZoneInfo("America/Santiago")
    start, end = local_day_bounds(date(2024, 9, 8), tz)
    assert start == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert start.astimezone(tz).replace(tzinfo=None) == datetime(2024, 9, 8, 1, 0)
    assert end - start == timedelta(hours=23)
    assert local_day_bounds(date(2024, 9, 7), tz)[1] == start


@PROPERTY
@given(zone=st.sampled_from(ZONES), day=st.dates(date(1900, 1, 2), date(2099, 12, 30)))
def test_local_day_bounds_are_exactly_the_local_day(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    start, end = local_day_bounds(day, tz)
    assert start < end
    assert local_date(start, tz) == day
    assert local_date(end - US, tz) == day
    assert local_date(start - US, tz) < day
    assert local_date(end, tz) > day


# --- split_by_local_day -------------------------------------------------------------


@PROPERTY
@given(zone_and_interval())
def test_split_by_local_day_tiles_and_dates_are_right(
    case: tuple[ZoneInfo, datetime, datetime],
) -> None:
    tz, local_start, end = case
    pieces = split_by_local_day(local_start, end, tz)
    # Compare in UTC: equality with a fold=1 local datetime is always False (PEP 495).
    start = local_start.astimezone(UTC)
    assert_tiles([(a, b) for _, a, b in pieces], start, end)
    total = sum(whole_seconds(a, b) for _, a, b in pieces)
    assert total == whole_seconds(start, end)
    for day, a, b in pieces:
        assert local_date(a, tz) == day
        assert local_date(b - US, tz) == day
        bounds = local_day_bounds(day, tz)
        assert bounds[0] <= a and b <= bounds[1]
    days = [day for day, _, _ in pieces]
    assert days == sorted(set(days))


# --- split_by_windows ------------------------------------------------------------


def check_segments(
    segments: list[Segment],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    holidays: Callable[[date], str | None],
    window: tuple[time, time] = (time(22), time(6)),
) -> None:
    assert_tiles([(s.start, s.end) for s in segments], start, end)
    assert sum(s.seconds for s in segments) == whole_seconds(start, end)
    for seg in segments:
        assert seg.seconds == whole_seconds(seg.start, seg.end)
        expected = (seg.local_date, seg.night)
        # Wholly one date and one night/day status, right up to the last microsecond.
        assert label(seg.start, tz, window) == expected
        assert label(seg.end - US, tz, window) == expected
        assert label(seg.start + (seg.end - seg.start) / 2, tz, window) == expected
        assert seg.holiday == holidays(seg.local_date)
    for a, b in zip(segments, segments[1:], strict=False):
        # Every cut is a real change, so cut instants are exact, not just "close".
        assert (a.local_date, a.night) != (b.local_date, b.night)


@PROPERTY
@given(case=zone_and_interval(), probes=st.lists(st.floats(0, 1), max_size=20))
def test_split_by_windows_tiles_and_labels_match_oracle(
    case: tuple[ZoneInfo, datetime, datetime], probes: list[float]
) -> None:
    tz, local_start, end = case
    segments = split_by_windows(local_start, end, tz, holidays=fake_holidays)
    # Arithmetic on a zone-local datetime is wall-clock arithmetic; work in UTC.
    start = local_start.astimezone(UTC)
    check_segments(segments, tz, start, end, fake_holidays)
    # Random instants inside the interval carry the label of the segment containing them.
    length_us = (end - start) // US
    for fraction in probes:
        at = start + US * min(int(fraction * length_us), length_us - 1)
        seg = next(s for s in segments if s.start <= at < s.end)
        assert label(at, tz) == (seg.local_date, seg.night)


def scan_minutes(
    tz: ZoneInfo, start: datetime, end: datetime, window: tuple[time, time] = (time(22), time(6))
) -> None:
    """Split, then check every minute of the interval against the oracle."""
    segments = split_by_windows(start, end, tz, *window)
    check_segments(segments, tz, start, end, lambda _d: None, window)
    minute = start
    index = 0
    while minute < end:
        while not segments[index].start <= minute < segments[index].end:
            index += 1
        assert label(minute, tz, window) == (segments[index].local_date, segments[index].night)
        minute += timedelta(minutes=1)


@pytest.mark.parametrize("zone", [*ZONES, "America/Santiago", "Asia/Tehran", "Pacific/Apia"])
def test_split_by_windows_minute_by_minute_around_every_recent_transition(zone: str) -> None:
    tz = ZoneInfo(zone)
    cases = [t for t in transitions(zone) if t.year >= 2005] or [datetime(2025, 1, 1, tzinfo=UTC)]
    for anchor in cases[-6:]:
        scan_minutes(tz, anchor - timedelta(hours=30), anchor + timedelta(hours=30))


def tzif_v1(transitions: list[tuple[datetime, int]], offsets: list[timedelta]) -> bytes:
    """A minimal version-1 TZif file: ``transitions`` switch to ``offsets[index]``."""
    abbreviations = b"".join(b"T%d\x00" % i for i in range(len(offsets)))
    counts = (0, 0, 0, len(transitions), len(offsets), len(abbreviations))
    return b"".join(
        [
            b"TZif\x00" + bytes(15) + struct.pack(">6l", *counts),
            *(struct.pack(">l", int(at.timestamp())) for at, _ in transitions),
            bytes(index for _, index in transitions),
            *(
                struct.pack(">lBB", int(off.total_seconds()), 0, 3 * i)
                for i, off in enumerate(offsets)
            ),
            abbreviations,
        ]
    )


# No real zone both skips midnight from the middle of a gap and moves the date backwards;
# a synthetic one does: 23:30 → 00:30 on 1-2 June, then 00:30 → 23:30 on 9-10 June (UTC±0/+1).
JUMP_FORWARD = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)
JUMP_BACK = datetime(2025, 6, 9, 23, 30, tzinfo=UTC)
JUMPY = ZoneInfo.from_file(
    io.BytesIO(tzif_v1([(JUMP_FORWARD, 1), (JUMP_BACK, 0)], [timedelta(0), timedelta(hours=1)])),
    key="Test/Jumpy",
)


def test_day_starts_at_transition_when_midnight_is_inside_the_gap() -> None:
    start, end = local_day_bounds(date(2025, 6, 2), JUMPY)
    assert start == JUMP_FORWARD  # the clock reads 00:30; midnight never happened
    assert end == datetime(2025, 6, 2, 23, 0, tzinfo=UTC)
    assert local_day_bounds(date(2025, 6, 1), JUMPY)[1] == JUMP_FORWARD


@pytest.mark.parametrize(
    "window",
    [(time(22), time(6)), (time(23, 45), time(6)), (time(0, 15), time(5)), (time(23), time(0, 10))],
)
@pytest.mark.parametrize("anchor", [JUMP_FORWARD, JUMP_BACK])
def test_split_by_windows_in_a_zone_that_jumps_across_midnight(
    anchor: datetime, window: tuple[time, time]
) -> None:
    scan_minutes(JUMPY, anchor - timedelta(hours=26), anchor + timedelta(hours=26), window)


@pytest.mark.parametrize("window", [(time(23, 45), time(6)), (time(23), time(0, 20))])
@pytest.mark.parametrize("lead", [timedelta(minutes=m) for m in (50, 30, 20, 10, 0, -10)])
@pytest.mark.parametrize("length", [timedelta(minutes=30), timedelta(minutes=70)])
def test_short_intervals_across_a_backward_date_change(
    window: tuple[time, time], lead: timedelta, length: timedelta
) -> None:
    # Starting on 10 June and ending back on 9 June: boundaries of both dates matter.
    scan_minutes(JUMPY, JUMP_BACK - lead, JUMP_BACK - lead + length, window)


def test_nairobi_evening_shift() -> None:
    tz = ZoneInfo("Africa/Nairobi")
    start = datetime(2025, 7, 14, 20, 0, tzinfo=tz)
    end = datetime(2025, 7, 15, 4, 0, tzinfo=tz)
    segments = split_by_windows(start, end, tz)
    summary = [(s.local_date.day, s.night, s.seconds) for s in segments]
    # 2h of day, then night: 2h before local midnight and 4h after it.
    assert summary == [(14, False, 7200), (14, True, 7200), (15, True, 14400)]
    assert segments[0].start == datetime(2025, 7, 14, 17, 0, tzinfo=UTC)


def test_nairobi_six_hour_shift_is_two_hours_day_four_hours_night() -> None:
    tz = ZoneInfo("Africa/Nairobi")
    segments = split_by_windows(
        datetime(2025, 7, 14, 20, 0, tzinfo=tz), datetime(2025, 7, 15, 2, 0, tzinfo=tz), tz
    )
    assert sum(s.seconds for s in segments if not s.night) == 2 * 3600
    assert sum(s.seconds for s in segments if s.night) == 4 * 3600


def test_new_york_night_over_fall_back_counts_the_extra_hour() -> None:
    tz = ZoneInfo("America/New_York")
    start = datetime(2025, 11, 1, 22, 0, tzinfo=tz)  # EDT
    end = datetime(2025, 11, 2, 6, 0, tzinfo=tz)  # EST: 9 real hours later
    segments = split_by_windows(start, end, tz)
    assert [(s.local_date.day, s.night, s.seconds) for s in segments] == [
        (1, True, 2 * 3600),
        (2, True, 7 * 3600),
    ]
    assert sum(s.seconds for s in segments) == 9 * 3600


def test_new_york_night_over_spring_forward_loses_an_hour() -> None:
    tz = ZoneInfo("America/New_York")
    start = datetime(2025, 3, 8, 22, 0, tzinfo=tz)
    end = datetime(2025, 3, 9, 6, 0, tzinfo=tz)
    segments = split_by_windows(start, end, tz)
    assert all(s.night for s in segments)
    assert sum(s.seconds for s in segments) == 7 * 3600


def test_night_window_inside_the_skipped_hour_cuts_at_the_transition() -> None:
    # A window ending at 02:30 on a day when 02:00-03:00 does not exist in New York:
    # night runs until the clock jumps from 02:00 to 03:00 (07:00 UTC).
    tz = ZoneInfo("America/New_York")
    segments = split_by_windows(
        datetime(2025, 3, 9, 0, 0, tzinfo=tz),
        datetime(2025, 3, 9, 5, 0, tzinfo=tz),
        tz,
        night_start=time(23, 0),
        night_end=time(2, 30),
    )
    assert [(s.night, s.end) for s in segments] == [
        (True, datetime(2025, 3, 9, 7, 0, tzinfo=UTC)),
        (False, datetime(2025, 3, 9, 9, 0, tzinfo=UTC)),
    ]


def test_night_window_in_the_repeated_hour_is_night_twice() -> None:
    # Night 00:00-01:30 on the fall-back day: 00:00-01:30 EDT, then 01:00-01:30 EST again.
    tz = ZoneInfo("America/New_York")
    segments = split_by_windows(
        datetime(2025, 11, 2, 0, 0, tzinfo=tz),
        datetime(2025, 11, 2, 3, 0, tzinfo=tz),
        tz,
        night_start=time(0, 0),
        night_end=time(1, 30),
    )
    assert [(s.night, s.seconds) for s in segments] == [
        (True, 5400),
        (False, 1800),
        (True, 1800),
        (False, 5400),
    ]


def test_holidays_label_segments_by_local_date() -> None:
    tz = ZoneInfo("Africa/Nairobi")
    kenya = holidays_lib.country_holidays("KE", years=2025)
    segments = split_by_windows(
        datetime(2025, 12, 24, 20, 0, tzinfo=tz),
        datetime(2025, 12, 25, 4, 0, tzinfo=tz),
        tz,
        holidays=kenya.get,
    )
    assert [s.holiday for s in segments] == [None, None, "Christmas Day"]


def test_split_edge_cases() -> None:
    tz = ZoneInfo("Asia/Kolkata")
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert split_by_windows(at, at, tz) == []
    assert split_by_local_day(at, at, tz) == []
    with pytest.raises(InvalidInput) as exc:
        split_by_windows(at, at - timedelta(seconds=1), tz)
    assert list(exc.value.errors) == ["end"]
    with pytest.raises(ValueError, match="aware"):
        split_by_windows(datetime(2025, 1, 1), datetime(2025, 1, 2), tz)
    with pytest.raises(ValueError, match="empty"):
        split_by_windows(at, at + timedelta(hours=1), tz, time(22), time(22))


def test_no_night_window_and_a_non_wrapping_window() -> None:
    tz = ZoneInfo("Asia/Kolkata")
    start = datetime(2025, 1, 1, 0, 0, tzinfo=tz)
    segments = split_by_windows(start, start + timedelta(hours=8), tz, time(1), time(5))
    assert [(s.night, s.seconds // 3600) for s in segments] == [(False, 1), (True, 4), (False, 3)]
    plain = split_by_windows(start, start + timedelta(hours=30), tz, None, None)
    assert [(s.local_date.day, s.night, s.seconds // 3600) for s in plain] == [
        (1, False, 24),
        (2, False, 6),
    ]
