"""Schedules: local times, holidays and Babel display strings, across midnight and DST."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scheduling.conftest import API
from workforce import db
from workforce.timeutil import local_week_start

NAIROBI = ZoneInfo("Africa/Nairobi")
NEW_YORK = ZoneInfo("America/New_York")


def schedule(client, headers, path="/me/schedule", **query):
    response = client.get(f"{API}{path}", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_swahili_schedule_with_a_holiday(client, as_role, new_contractor, plan) -> None:
    cid = new_contractor(locale="sw_KE", subdivision="KE-30")  # Nairobi; holidays: national
    start = dt.datetime(2026, 12, 12, 9, 0, tzinfo=NAIROBI)
    shift = plan(cid, start).json
    me = as_role("contractor", cid)
    answer = schedule(client, me, **{"from": "2026-12-07", "to": "2026-12-13"})
    assert answer["timezone"] == "Africa/Nairobi"
    assert answer["locale"] == "sw_KE"
    assert (answer["from"], answer["to"]) == ("2026-12-07", "2026-12-13")
    (entry,) = answer["items"]
    assert entry["id"] == shift["id"]
    assert entry["starts_at"] == "2026-12-12T06:00:00+00:00"
    assert entry["local_start"] == "2026-12-12T09:00:00+03:00"
    assert entry["local_end"] == "2026-12-12T17:00:00+03:00"
    assert entry["timezone"] == "Africa/Nairobi"
    assert entry["queue"] == "General labelling"
    assert entry["holiday"] == "Siku ya Jamhuri"  # Jamhuri Day, in Swahili
    assert entry["display"]["text"] == "Jumamosi, 12 Desemba 2026, 09:00–17:00"
    assert entry["display"]["date"] == "Jumamosi, 12 Desemba 2026"
    english = schedule(client, me, locale="en_KE", **{"from": "2026-12-07", "to": "2026-12-13"})
    assert english["items"][0]["display"]["text"] == "Saturday, 12 December 2026, 09:00–17:00"
    assert english["items"][0]["holiday"] == "Jamhuri Day"
    american = schedule(client, me, locale="en-US", **{"from": "2026-12-12", "to": "2026-12-12"})
    assert american["items"][0]["display"]["text"] == (
        "Saturday, December 12, 2026, 9:00\u202fAM–5:00\u202fPM"
    )


def test_a_shift_over_midnight_shows_both_dates(client, as_role, new_contractor, plan) -> None:
    cid = new_contractor(locale="sw_KE")
    plan(cid, dt.datetime(2026, 12, 11, 22, 0, tzinfo=NAIROBI))
    plan(cid, dt.datetime(2026, 12, 13, 16, 0, tzinfo=NAIROBI))  # ends at midnight
    items = schedule(
        client, as_role("contractor", cid), **{"from": "2026-12-12", "to": "2026-12-13"}
    )["items"]
    night, evening = items  # the night shift touches the 12th, so it is listed
    assert night["display"]["text"] == (
        "Ijumaa, 11 Desemba 2026, 22:00 – Jumamosi, 12 Desemba 2026, 06:00"
    )
    assert [(d["date"], d["seconds"], d["holiday"]) for d in night["days"]] == [
        ("2026-12-11", 2 * 3600, None),
        ("2026-12-12", 6 * 3600, "Siku ya Jamhuri"),
    ]
    assert night["holiday"] == "Siku ya Jamhuri"
    assert evening["display"]["text"] == "Jumapili, 13 Desemba 2026, 16:00–00:00"
    assert len(evening["days"]) == 1


def test_dst_days_are_shown_with_their_offsets(client, ops, as_role, new_contractor, plan):
    cid = new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")
    me = as_role("contractor", cid)
    # autumn: 00:30 EDT to 08:30 EST is 9 hours
    autumn = plan(cid, dt.datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK), hours=9).json
    assert autumn["ends_at"] == "2026-11-01T13:30:00+00:00"
    # spring: 01:00 EST to 09:00 EDT is 7 hours
    plan(cid, dt.datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK), hours=7)
    (entry,) = schedule(client, me, **{"from": "2026-11-01", "to": "2026-11-01"})["items"]
    assert entry["local_start"] == "2026-11-01T00:30:00-04:00"
    assert entry["local_end"] == "2026-11-01T08:30:00-05:00"
    assert entry["display"]["text"] == (
        "Sunday, November 1, 2026, 12:30\u202fAM (GMT-04:00)–8:30\u202fAM (GMT-05:00)"
    )
    assert [d["seconds"] for d in entry["days"]] == [9 * 3600]
    (spring,) = schedule(client, me, **{"from": "2026-03-08", "to": "2026-03-08"})["items"]
    assert spring["local_end"] == "2026-03-08T09:00:00-04:00"
    assert [d["seconds"] for d in spring["days"]] == [7 * 3600]
    # New York's own holiday (Lincoln's Birthday) is marked; a Texan would not have it
    lincoln = plan(cid, dt.datetime(2027, 2, 12, 9, 0, tzinfo=NEW_YORK)).json
    (day,) = schedule(client, me, **{"from": "2027-02-12", "to": "2027-02-12"})["items"]
    assert (day["id"], day["holiday"]) == (lincoln["id"], "Lincoln's Birthday")
    texan = new_contractor(country="US", subdivision="US-TX", timezone="America/Chicago")
    plan(texan, dt.datetime(2027, 2, 12, 9, 0, tzinfo=ZoneInfo("America/Chicago")))
    other = schedule(
        client, ops, f"/contractors/{texan}/schedule", **{"from": "2027-02-12", "to": "2027-02-12"}
    )
    assert other["items"][0]["holiday"] is None


def test_default_range_paging_and_cancelled(client, ops, as_role, new_contractor, plan) -> None:
    cid = new_contractor()
    me = as_role("contractor", cid)
    today = db.utcnow().astimezone(NAIROBI).date()
    monday = local_week_start(today)
    answer = schedule(client, me)
    assert answer["from"] == monday.isoformat()
    assert answer["to"] == (monday + dt.timedelta(days=13)).isoformat()
    next_week = dt.datetime.combine(monday + dt.timedelta(days=8), dt.time(9), tzinfo=NAIROBI)
    first = plan(cid, next_week).json
    plan(cid, next_week + dt.timedelta(days=1))
    assert schedule(client, me)["total"] == 2
    one = schedule(client, me, page_size=1, page=2)
    assert (one["total"], len(one["items"]), one["page"]) == (2, 1, 2)
    client.post(f"{API}/shifts/{first['id']}/cancel", headers=ops)
    assert schedule(client, me)["total"] == 1
    both = schedule(client, me, include_cancelled="true")["items"]
    assert [e["status"] for e in both] == ["cancelled", "scheduled"]
    only_to = schedule(client, me, to=(monday + dt.timedelta(days=8)).isoformat())
    assert only_to["from"] == (monday - dt.timedelta(days=5)).isoformat()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-12-10", "to": "2026-12-09"}, "to"),
        ({"from": "2026-01-01", "to": "2027-01-02"}, "to"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "1999-12-31"}, "from"),
        ({"to": "2100-01-01"}, "to"),
        ({"locale": "xx_YY"}, "locale"),
        ({"locale": "../../etc"}, "locale"),
    ],
)
def test_bad_schedule_queries_are_422(client, as_role, new_contractor, query, field) -> None:
    response = client.get(
        f"{API}/me/schedule", query_string=query, headers=as_role("contractor", new_contractor())
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_366_days_is_the_longest_range(client, as_role, new_contractor) -> None:
    me = as_role("contractor", new_contractor())
    answer = schedule(client, me, **{"from": "2028-01-01", "to": "2028-12-31"})
    assert answer["total"] == 0


def test_schedules_are_seen_only_by_their_owner_and_staff(client, as_role, new_contractor):
    alice, bob = new_contractor(), new_contractor()
    alice_h = as_role("contractor", alice)
    assert client.get(f"{API}/contractors/{alice}/schedule", headers=alice_h).status_code == 200
    assert client.get(f"{API}/contractors/{bob}/schedule", headers=alice_h).status_code == 404
    compliance = as_role("compliance")
    assert client.get(f"{API}/contractors/{bob}/schedule", headers=compliance).status_code == 200
    assert client.get(f"{API}/contractors/99999/schedule", headers=compliance).status_code == 404
    assert client.get(f"{API}/me/schedule", headers=as_role("ops")).status_code == 403


# --- hypothesis: weekly patterns planned through the API, read back through the schedule ---

ZONES = {
    "America/Bogota": {"country": "CO"},
    "America/New_York": {"country": "US", "timezone": "America/New_York"},
    "Asia/Kolkata": {"country": "IN"},
    "Europe/London": {"country": "GB"},
}


@cache
def transition_dates(zone: str) -> tuple[dt.date, ...]:
    """Local dates in 2026-2028 on which the zone's UTC offset changes."""
    tz = ZoneInfo(zone)
    found = []
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    before = moment.astimezone(tz).utcoffset()
    while moment.year < 2029:
        moment += dt.timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != before:
            found.append(moment.astimezone(tz).date())
        before = offset
    return tuple(found)


def first_instant_showing(wall: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Brute force: the first whole minute at which the local clock reads ``wall`` or later
    (a fold's first occurrence; in a gap, the transition)."""
    moment = wall.replace(tzinfo=dt.UTC) - dt.timedelta(hours=15)
    while moment.astimezone(tz).replace(tzinfo=None) < wall:
        moment += dt.timedelta(minutes=1)
    return moment


@st.composite
def patterns(draw: st.DrawFn) -> dict:
    zone = draw(st.sampled_from(sorted(ZONES)))
    changes = transition_dates(zone)
    if changes and draw(st.booleans()):
        around = draw(st.sampled_from(changes))
    else:
        around = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 900)))
    start = around - dt.timedelta(days=draw(st.integers(0, 10)))
    return {
        "zone": zone,
        "days_of_week": draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)),
        "local_start": dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))),
        "duration_minutes": 15 * draw(st.integers(4, 48)),
        "from": start,
        "until": start + dt.timedelta(days=draw(st.integers(0, 20))),
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=patterns())
def test_patterns_keep_local_times_across_dst(client, ops, as_role, new_contractor, queue, case):
    tz = ZoneInfo(case["zone"])
    cid = new_contractor(**ZONES[case["zone"]])
    body = {
        "contractor_id": cid,
        "queue_id": queue["id"],
        "days_of_week": case["days_of_week"],
        "local_start": case["local_start"].strftime("%H:%M"),
        "duration_minutes": case["duration_minutes"],
        "from": case["from"].isoformat(),
        "until": case["until"].isoformat(),
        "override_reason": "property test: hour rules are not under test here",
    }
    created = client.post(f"{API}/shift-patterns", json=body, headers=ops)
    days = [
        case["from"] + dt.timedelta(days=n)
        for n in range((case["until"] - case["from"]).days + 1)
        if (case["from"] + dt.timedelta(days=n)).weekday() in case["days_of_week"]
    ]
    if not days:
        assert created.status_code == 422
        return
    assert created.status_code == 201, created.json
    answer = schedule(
        client,
        as_role("contractor", cid),
        page_size=500,
        **{
            "from": case["from"].isoformat(),
            "to": (case["until"] + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert answer["total"] == len(days)
    duration = dt.timedelta(minutes=case["duration_minutes"])
    for day, entry in zip(days, answer["items"], strict=True):
        starts = dt.datetime.fromisoformat(entry["starts_at"])
        ends = dt.datetime.fromisoformat(entry["ends_at"])
        expected = first_instant_showing(dt.datetime.combine(day, case["local_start"]), tz)
        assert starts == expected
        assert ends - starts == duration  # real elapsed time, over any change
        local_start = dt.datetime.fromisoformat(entry["local_start"])
        assert local_start == starts
        assert local_start.utcoffset() == starts.astimezone(tz).utcoffset()
        assert dt.datetime.fromisoformat(entry["local_end"]).utcoffset() == (
            ends.astimezone(tz).utcoffset()
        )
        # the local days tile the shift exactly, each on its own date
        pieces = entry["days"]
        assert sum(p["seconds"] for p in pieces) == duration.total_seconds()
        assert pieces[0]["local_start"] == entry["local_start"]
        assert pieces[-1]["local_end"] == entry["local_end"]
        for a, b in zip(pieces, pieces[1:], strict=False):
            assert dt.datetime.fromisoformat(a["local_end"]) == dt.datetime.fromisoformat(
                b["local_start"]
            )
            assert a["date"] < b["date"]
        for p in pieces:
            assert dt.datetime.fromisoformat(p["local_start"]).date().isoformat() == p["date"]
        if local_start.utcoffset() == ends.astimezone(tz).utcoffset():
            assert "GMT" not in entry["display"]["text"]
