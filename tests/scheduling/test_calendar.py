"""render_calendar (built with ``icalendar``), parsed back by ``icalendar`` and by ``ical``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from io import StringIO
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.tz import tzical
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from workforce.errors import InvalidInput
from workforce.scheduling.calendar import CalendarEvent, render_calendar

ZONES = [
    "America/Bogota",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "Australia/Sydney",
    "Africa/Nairobi",
]
NOW = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
EDITED = datetime(2026, 2, 27, 9, 30, tzinfo=UTC)


def event(start: datetime, hours: float = 8, **changes: object) -> CalendarEvent:
    fields: dict = {
        "uid": f"shift-{start:%Y%m%d%H%M}@workforce.test",
        "start": start,
        "end": start + timedelta(hours=hours),
        "summary": "Moderation shift",
        "description": "Queue: video",
        "sequence": 0,
        "cancelled": False,
        "last_modified": EDITED,
    }
    return CalendarEvent(**(fields | changes))


def physical_lines(text: str) -> list[bytes]:
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n")
    return raw[:-2].split(b"\r\n")


def assert_wire_format(text: str) -> None:
    """CRLF only, ≤ 75 octets a line, and no line ends inside a UTF-8 character."""
    lines = physical_lines(text)
    for line in lines:
        assert b"\r" not in line
        assert b"\n" not in line
        assert len(line) <= 75, line
        line.decode("utf-8", errors="strict")  # a split multibyte char would fail here


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


@cache
def transition_instants(zone: str) -> tuple[datetime, ...]:
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment.year < 2030:
        moment += timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(moment)
        previous = offset
    return tuple(found)


# text a moderator might type: any printable character plus the ones that need escaping.
# Without a backslash before a capital N: icalendar 7.3 reads "\N" as the newline escape
# both when writing and when parsing (a known limit, stated in workforce.scheduling.calendar).
texts = (
    st.lists(
        st.characters(exclude_categories=("Cs", "Cc"))
        | st.sampled_from([";", ",", "\\", "\n", ":", '"', "é", "ü", "🌍", "👩🏾‍💻", "\\n"]),
        max_size=60,
    )
    .map("".join)
    .filter(lambda text: "\\N" not in text)
)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[str, list[CalendarEvent]]:
    zone = draw(st.sampled_from(ZONES))
    changes = transition_instants(zone)
    events = []
    for n in range(draw(st.integers(1, 6))):
        if len(changes) > 0 and draw(st.booleans()):
            base = draw(st.sampled_from(changes))  # starts and ends around DST changes
        else:
            base = datetime(2024, 1, 1, tzinfo=UTC)
        start = base + timedelta(seconds=60 * draw(st.integers(-3 * 1440, 3 * 1440)))
        start += timedelta(days=draw(st.sampled_from([0, 0, 400, 1000])))
        # in UTC: adding to a zoned datetime adds wall-clock time, so across a DST change
        # the end could come before the start
        end = start + timedelta(seconds=60 * draw(st.integers(1, 24 * 60)))
        if draw(st.booleans()):
            # same instants, other tzinfo
            start, end = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
        events.append(
            CalendarEvent(
                uid=f"{n}-{draw(texts)}",
                start=start,
                end=end,
                summary=draw(texts),
                description=draw(texts),
                sequence=draw(st.integers(0, 10_000)),
                cancelled=draw(st.booleans()),
                last_modified=EDITED,
            )
        )
    return zone, events


@settings(max_examples=100, deadline=None)
@given(calendars())
def test_round_trip_through_icalendar(case: tuple[str, list[CalendarEvent]]) -> None:
    zone, events = case
    text = render_calendar("Shifts of Ana", zone, events, NOW)
    assert_wire_format(text)

    parsed = Calendar.from_ical(text)
    assert str(parsed["X-WR-CALNAME"]) == "Shifts of Ana"
    vtimezone: Any
    (vtimezone,) = parsed.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == zone
    # a tzinfo built only from our VTIMEZONE (dateutil), not looked up by name
    from_vtimezone = vtimezone.to_tz(lookup_tzid=False)

    vevents: list[Any] = parsed.walk("VEVENT")
    assert len(vevents) == len(events)
    for original, vevent in zip(events, vevents, strict=True):
        assert str(vevent["UID"]) == original.uid
        assert str(vevent["SUMMARY"]) == original.summary
        assert str(vevent["DESCRIPTION"]) == original.description
        assert int(vevent["SEQUENCE"]) == original.sequence
        assert str(vevent["STATUS"]) == ("CANCELLED" if original.cancelled else "CONFIRMED")
        assert vevent.decoded("DTSTAMP") == NOW
        assert vevent.decoded("LAST-MODIFIED") == EDITED
        for prop, expected in (("DTSTART", original.start), ("DTEND", original.end)):
            written: Any = vevent[prop]
            assert written.dt.astimezone(UTC) == expected.astimezone(UTC)
            if "TZID" in written.params:
                assert written.params["TZID"] == zone
                wall = written.dt.replace(tzinfo=None)
                own = wall.replace(tzinfo=from_vtimezone).astimezone(UTC)
                assert own == expected.astimezone(UTC), f"VTIMEZONE disagrees at {wall}"


def test_header_order_and_crlf() -> None:
    text = render_calendar("Ana", "America/New_York", [event(NOW)], NOW)
    lines = unfold(text)
    assert lines[:7] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Workforce//Schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Ana",
        "X-WR-TIMEZONE:America/New_York",
    ]
    assert lines[-1] == "END:VCALENDAR"
    assert text.count("\n") == text.count("\r\n")
    assert text.count("\r") == text.count("\r\n")


def test_event_lines_use_local_wall_time() -> None:
    start = datetime(2026, 7, 6, 13, tzinfo=UTC)  # 09:00 EDT
    text = render_calendar("Ana", "America/New_York", [event(start, sequence=3)], NOW)
    lines = unfold(text)
    begin = lines.index("BEGIN:VEVENT")
    assert lines[begin : lines.index("END:VEVENT") + 1] == [
        "BEGIN:VEVENT",
        "UID:shift-202607061300@workforce.test",
        "DTSTAMP:20260301T120005Z",
        "DTSTART;TZID=America/New_York:20260706T090000",
        "DTEND;TZID=America/New_York:20260706T170000",
        "SUMMARY:Moderation shift",
        "DESCRIPTION:Queue: video",
        "SEQUENCE:3",
        "LAST-MODIFIED:20260227T093000Z",
        "STATUS:CONFIRMED",
        "END:VEVENT",
    ]


def vtimezone_observances(text: str) -> dict[tuple[str, str, datetime], tuple[timedelta, ...]]:
    (vtimezone,) = Calendar.from_ical(text).walk("VTIMEZONE")
    return {
        (c.name, str(c["TZNAME"]), c.decoded("DTSTART")): (
            c.decoded("TZOFFSETFROM"),
            c.decoded("TZOFFSETTO"),
        )
        for c in vtimezone.subcomponents
    }


def test_vtimezone_for_dst_zone_has_both_observances() -> None:
    events = [
        event(datetime(2026, 3, 2, 14, tzinfo=UTC)),
        event(datetime(2026, 11, 20, tzinfo=UTC)),
    ]
    text = render_calendar("Ana", "America/New_York", events, NOW)
    hour = timedelta(hours=1)
    assert vtimezone_observances(text) == {
        # in force from local midnight of the day before the first event
        ("STANDARD", "EST", datetime(2026, 3, 1)): (-5 * hour, -5 * hour),
        # icalendar names the first wall time after the skipped hour (03:00), not 02:00:
        # no wall time lies between the two, so every local time resolves the same
        ("DAYLIGHT", "EDT", datetime(2026, 3, 8, 3)): (-5 * hour, -4 * hour),
        ("STANDARD", "EST", datetime(2026, 11, 1, 2)): (-4 * hour, -5 * hour),
    }


def test_vtimezone_for_southern_hemisphere() -> None:
    events = [event(datetime(2026, 3, 2, tzinfo=UTC)), event(datetime(2026, 5, 2, tzinfo=UTC))]
    text = render_calendar("Ana", "Australia/Sydney", events, NOW)
    hour = timedelta(hours=1)
    assert vtimezone_observances(text) == {
        ("DAYLIGHT", "AEDT", datetime(2026, 3, 1)): (11 * hour, 11 * hour),
        ("STANDARD", "AEST", datetime(2026, 4, 5, 3)): (11 * hour, 10 * hour),  # 03:00 AEDT
    }


@pytest.mark.parametrize(
    ("zone", "offset"), [("Asia/Kolkata", "+0530"), ("Africa/Nairobi", "+0300")]
)
def test_zone_without_dst_has_one_standard_observance(zone: str, offset: str) -> None:
    events = [event(datetime(2026, 1, 5, 3, tzinfo=UTC)), event(datetime(2026, 8, 5, tzinfo=UTC))]
    lines = unfold(render_calendar("Ana", zone, events, NOW))
    start = lines.index("BEGIN:VTIMEZONE")
    block = lines[start : lines.index("END:VTIMEZONE") + 1]
    assert block[:3] == ["BEGIN:VTIMEZONE", f"TZID:{zone}", "BEGIN:STANDARD"]
    assert f"TZOFFSETFROM:{offset}" in block
    assert f"TZOFFSETTO:{offset}" in block
    assert block.count("BEGIN:STANDARD") == 1
    assert "BEGIN:DAYLIGHT" not in block


def test_second_occurrence_of_repeated_hour_is_written_in_utc() -> None:
    # 01:30 EST on 1 Nov 2026 follows 01:30 EDT; a TZID form would mean the first one
    first = event(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), hours=1)
    second = event(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), hours=1)
    text = render_calendar("Ana", "America/New_York", [first, second], NOW)
    lines = unfold(text)
    assert "DTSTART;TZID=America/New_York:20261101T013000" in lines
    assert "DTSTART:20261101T063000Z" in lines
    # compared in UTC: PEP 495 makes a time in a fold unequal to any other zone's time
    starts = [v.decoded("DTSTART").astimezone(UTC) for v in Calendar.from_ical(text).walk("VEVENT")]
    assert starts == [first.start, second.start]


def test_cancelled_event_and_sequence() -> None:
    shift = event(datetime(2026, 3, 9, 14, tzinfo=UTC), sequence=4, cancelled=True)
    vevent: Any
    (vevent,) = Calendar.from_ical(render_calendar("Ana", "UTC", [shift], NOW)).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["SEQUENCE"] == 4


def test_text_is_escaped() -> None:
    shift = event(
        datetime(2026, 3, 9, 14, tzinfo=UTC),
        summary="Queue A; B, C\\D\nnight",
        description="line 1\r\nline 2\rline 3\x00",
    )
    text = render_calendar("Ana; team, EU", "Europe/London", [shift], NOW)
    lines = unfold(text)
    assert "SUMMARY:Queue A\\; B\\, C\\\\D\\nnight" in lines
    assert "DESCRIPTION:line 1\\nline 2\\nline 3" in lines
    assert "X-WR-CALNAME:Ana\\; team\\, EU" in lines
    vevent: Any
    (vevent,) = Calendar.from_ical(text).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Queue A; B, C\\D\nnight"


def test_swahili_and_emoji_summary_is_folded_on_character_boundaries() -> None:
    summary = (
        "Zamu ya usiku: ukaguzi wa maudhui 🌍🛡️ — habari za asubuhi, karibu sana! "
        "👩🏾‍💻 Mapumziko ni muhimu; kunywa maji. ✅ "
    ) * 3
    shift = event(datetime(2026, 3, 9, 14, tzinfo=UTC), summary=summary)
    text = render_calendar("Ratiba ya Amani 🌙", "Africa/Nairobi", [shift], NOW)
    assert_wire_format(text)
    summary_lines = [line for line in physical_lines(text) if line.startswith((b"SUMMARY:", b" "))]
    assert len(summary_lines) > 3  # it really was folded
    assert all(line.startswith(b" ") for line in summary_lines[1:])
    # lines are filled: a fold happens only when the next character would not fit (icalendar
    # keeps the first line to 74 octets, the continuations to 75 with their leading space)
    for line, following in pairwise(summary_lines):
        next_char = following[1:].decode("utf-8")[0]
        assert len(line) + len(next_char.encode("utf-8")) > 74
    vevent: Any
    (vevent,) = Calendar.from_ical(text).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == summary
    assert str(Calendar.from_ical(text)["X-WR-CALNAME"]) == "Ratiba ya Amani 🌙"


def test_empty_calendar_still_declares_its_zone() -> None:
    text = render_calendar("Ana", "Europe/London", [], NOW)
    parsed = Calendar.from_ical(text)
    assert parsed.walk("VEVENT") == []
    assert len(parsed.walk("VTIMEZONE")) == 1


def test_unknown_zone_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        render_calendar("Ana", "Mars/Olympus_Mons", [], NOW)
    assert list(caught.value.errors) == ["timezone"]


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_calendar("Ana", "UTC", [event(datetime(2026, 3, 9, 14))], NOW)


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [("America/New_York", -5, -4), ("Africa/Nairobi", 3, 3), ("Australia/Sydney", 11, 10)],
)
def test_other_parsers_read_the_events_and_the_dst_offsets_of_our_vtimezone(
    zone: str, winter: int, summer: int
) -> None:
    """``ical`` (another implementation, strict pydantic models) reads every event at its
    instant; dateutil's ``tzical`` resolves each wall time with a tzinfo built only from
    the feed's VTIMEZONE and gets the zone's offset on either side of each change."""
    starts = [datetime(2026, 1, 15, 14, tzinfo=UTC), datetime(2026, 7, 15, 14, tzinfo=UTC)]
    starts += [change + timedelta(minutes=m) for change in transition_instants(zone)
               if change.year == 2026 for m in (-90, -30, 0, 30, 90)]  # fmt: skip
    shifts = [event(s, hours=1, uid=f"{n}@workforce.test") for n, s in enumerate(starts)]
    text = render_calendar("Ana", zone, shifts, NOW)

    parsed = IcsCalendarStream.calendar_from_ics(text)
    assert [e.uid for e in parsed.events] == [s.uid for s in shifts]
    for shift, vevent in zip(shifts, parsed.events, strict=True):
        assert isinstance(vevent.dtstart, datetime)
        assert vevent.dtstart.astimezone(UTC) == shift.start
        assert vevent.status is not None and vevent.status.value == "CONFIRMED"

    own_zone = tzical(StringIO(text)).get(zone)  # built from our VTIMEZONE, not by name
    hour = timedelta(hours=1)
    starts_written = [line for line in unfold(text) if line.startswith("DTSTART")]
    starts_written = starts_written[-len(shifts) :]  # the events', after the VTIMEZONE's
    for shift, line in zip(shifts, starts_written, strict=True):
        if line.endswith("Z"):
            continue  # second half of a repeated hour: written in UTC
        wall = datetime.strptime(line.rsplit(":", 1)[1], "%Y%m%dT%H%M%S")
        resolved = wall.replace(tzinfo=own_zone)
        assert resolved.astimezone(UTC) == shift.start, f"{zone}: {wall} resolved wrongly"
        assert resolved.utcoffset() == shift.start.astimezone(ZoneInfo(zone)).utcoffset()
    january, july = (datetime(2026, m, 15, 12, tzinfo=own_zone) for m in (1, 7))
    assert (january.utcoffset(), july.utcoffset()) == (winter * hour, summer * hour)
