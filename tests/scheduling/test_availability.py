"""Weekly availability: validation, the 409 ``outside_availability`` and its override,
DST weeks, and the ops endpoints."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.scheduling.conftest import API
from workforce import db
from workforce.audit import AuditEvent
from workforce.scheduling.availability import Window, is_inside
from workforce.scheduling.patterns import local_to_utc
from workforce.scheduling.rules import Interval

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]


def _local(day: dt.date, hh: int, mm: int = 0, tz: ZoneInfo = NEW_YORK) -> dt.datetime:
    return local_to_utc(dt.datetime.combine(day, dt.time(hh, mm)), tz)


def _plan_local(plan, cid, day, start_hh, end_hh, **extra):
    start, end = _local(day, start_hh), _local(day, end_hh)
    return plan(cid, start, hours=(end - start) / dt.timedelta(hours=1), **extra)


def _new_yorker(new_contractor) -> int:
    return new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")


def test_no_windows_means_available_at_any_time(client, as_role, new_contractor, plan):
    cid = _new_yorker(new_contractor)
    mine = client.get(f"{API}/me/availability", headers=as_role("contractor", cid))
    assert mine.status_code == 200
    assert mine.json == {
        "contractor_id": cid,
        "timezone": "America/New_York",
        "windows": [],
        "always_available": True,
    }
    assert _plan_local(plan, cid, dt.date(2027, 3, 16), 2, 10).status_code == 201


def test_put_replaces_windows_sorted_and_audited(app, client, as_role, new_contractor):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    windows = [
        {"weekday": 2, "start": "13:00", "end": "24:00"},
        {"weekday": 2, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "09:30", "end": "17:45"},
    ]
    put = client.put(f"{API}/me/availability", json={"windows": windows}, headers=me)
    assert put.status_code == 200, put.json
    assert put.json["windows"] == [windows[2], windows[1], windows[0]]
    assert put.json["always_available"] is False
    assert put.json["conflicts"] == []  # nothing planned
    assert client.get(f"{API}/me/availability", headers=me).json == {
        k: v for k, v in put.json.items() if k != "conflicts"
    }
    cleared = client.put(f"{API}/me/availability", json={"windows": []}, headers=me)
    assert cleared.json["always_available"] is True
    with db.get_db(app).reader() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "availability.set")
        ).all()
    assert len(actions) == 2


def test_bad_windows_are_422_naming_the_field(client, as_role, new_contractor):
    me = as_role("contractor", new_contractor())
    cases = [
        ([{"weekday": 0, "start": "09:00", "end": "09:00"}], "windows.0.end"),
        ([{"weekday": 0, "start": "17:00", "end": "09:00"}], "windows.0.end"),
        ([{"weekday": 0, "start": "25:00", "end": "26:00"}], "windows.0.start"),
        ([{"weekday": 0, "start": "9:00x", "end": "10:00"}], "windows.0.start"),
        ([{"weekday": 0, "start": "\u00b2\u00b2:00", "end": "23:00"}], "windows.0.start"),
        ([{"weekday": 0, "start": "00:00", "end": "24:01"}], "windows.0.end"),
        ([{"weekday": 7, "start": "09:00", "end": "10:00"}], "windows.0.weekday"),
        ([{"weekday": 0.5, "start": "09:00", "end": "10:00"}], "windows.0.weekday"),
        (
            [
                {"weekday": 1, "start": "09:00", "end": "12:00"},
                {"weekday": 1, "start": "11:00", "end": "13:00"},
            ],
            "windows.1.start",
        ),
        ([{"weekday": d % 7, "start": "00:00", "end": "00:30"} for d in range(29)], "windows"),
    ]
    for windows, field in cases:
        response = client.put(f"{API}/me/availability", json={"windows": windows}, headers=me)
        assert response.status_code == 422, (windows, response.json)
        assert field in response.json["errors"], (field, response.json)
    # windows that touch are fine (one day split in two)
    touching = [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "12:00", "end": "13:00"},
    ]
    ok = client.put(f"{API}/me/availability", json={"windows": touching}, headers=me)
    assert ok.status_code == 200


def test_shift_outside_windows_is_409_unless_ops_override(
    app, client, as_role, new_contractor, plan
):
    cid = _new_yorker(new_contractor)
    client.put(
        f"{API}/me/availability", json={"windows": WEEKDAYS}, headers=as_role("contractor", cid)
    )
    day = dt.date(2027, 2, 2)
    assert _plan_local(plan, cid, day, 9, 17).status_code == 201
    early = _plan_local(plan, cid, day + dt.timedelta(days=1), 8, 16)
    assert early.status_code == 409
    assert early.json["code"] == "outside_availability"
    assert early.json["availability"][0] == WEEKDAYS[0]
    reason = "the contractor agreed on the phone"
    forced = _plan_local(plan, cid, day + dt.timedelta(days=1), 8, 16, override_reason=reason)
    assert forced.status_code == 201, forced.json
    assert forced.json["override_reason"] == reason
    with db.get_db(app).reader() as session:
        row = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "shift.create")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert row is not None
    assert row.summary["overridden"] == ["outside_availability"]
    assert row.summary["override_reason"] == reason
    # moving a shift out of the windows is checked too
    moved = client.patch(
        f"{API}/shifts/{forced.json['id']}",
        json={
            "starts_at": _local(day + dt.timedelta(days=1), 18).isoformat(),
            "ends_at": _local(day + dt.timedelta(days=1), 20).isoformat(),
        },
        headers=as_role("ops"),
    )
    assert moved.status_code == 409
    assert moved.json["code"] == "outside_availability"


def test_dst_weeks_keep_local_windows(client, as_role, new_contractor, plan):
    """09:00-17:00 stays 09:00-17:00 in New York the week clocks change (both ways)."""
    cid = _new_yorker(new_contractor)
    client.put(
        f"{API}/me/availability", json={"windows": WEEKDAYS}, headers=as_role("contractor", cid)
    )
    # 2027-03-14: spring forward; 2027-11-07: fall back
    for before, after in (
        (dt.date(2027, 3, 12), dt.date(2027, 3, 15)),
        (dt.date(2027, 11, 5), dt.date(2027, 11, 8)),
    ):
        for day in (before, after):
            assert _plan_local(plan, cid, day, 9, 17).status_code == 201
            # the same UTC hours as the other side of the change are an hour off locally
            shifted = _local(day, 9) + (
                dt.timedelta(hours=1) if day == before else -dt.timedelta(hours=1)
            )
            late = plan(cid, shifted + dt.timedelta(days=1), hours=8)
            assert late.status_code == 409
            assert late.json["code"] == "outside_availability"


def test_overnight_window_is_two_touching_windows(client, as_role, new_contractor, plan):
    cid = _new_yorker(new_contractor)
    night = [
        {"weekday": 0, "start": "22:00", "end": "24:00"},
        {"weekday": 1, "start": "00:00", "end": "06:00"},
    ]
    client.put(
        f"{API}/me/availability", json={"windows": night}, headers=as_role("contractor", cid)
    )
    monday = dt.date(2027, 2, 1)
    assert plan(cid, _local(monday, 22), hours=8).status_code == 201
    refused = plan(cid, _local(monday + dt.timedelta(days=7), 22), hours=9)
    assert refused.json["code"] == "outside_availability"


def test_ops_read_and_write_a_contractors_availability(client, ops, as_role, new_contractor):
    cid = _new_yorker(new_contractor)
    put = client.put(
        f"{API}/contractors/{cid}/availability", json={"windows": WEEKDAYS[:1]}, headers=ops
    )
    assert put.status_code == 200
    body = dict(put.json)
    assert body.pop("conflicts") == []
    assert client.get(f"{API}/contractors/{cid}/availability", headers=ops).json == body
    mine = client.get(f"{API}/me/availability", headers=as_role("contractor", cid))
    assert mine.json["windows"] == WEEKDAYS[:1]
    assert client.get(f"{API}/contractors/999999/availability", headers=ops).status_code == 404
    other = as_role("contractor", cid)
    assert client.get(f"{API}/contractors/{cid}/availability", headers=other).status_code == 403
    compliance = as_role("compliance")
    denied = client.put(
        f"{API}/contractors/{cid}/availability", json={"windows": []}, headers=compliance
    )
    assert denied.status_code == 403


DST_ZONES = ["America/New_York", "America/Chicago", "Europe/London", "Australia/Sydney"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(DST_ZONES),
    day=st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    window=st.tuples(st.integers(4 * 60, 20 * 60), st.integers(30, 4 * 60)),
    inner=st.tuples(st.integers(0, 240), st.integers(0, 240)),
)
def test_a_window_keeps_its_local_hours_on_every_date(zone, day, window, inner):
    """Placed on any date (DST or not), a window starts and ends at its wall times, a shift
    within its wall times is inside, and a minute earlier or later is outside."""
    tz = ZoneInfo(zone)
    start_minute, length = window
    end_minute = min(start_minute + length, 24 * 60)
    windows = [Window(day.weekday(), start_minute, end_minute)]
    midnight = dt.datetime.combine(day, dt.time())
    lo = local_to_utc(midnight + dt.timedelta(minutes=start_minute), tz)
    hi = local_to_utc(midnight + dt.timedelta(minutes=end_minute), tz)
    # the window's edges are its wall times (no gap falls between 04:00 and 24:00 here)
    assert lo.astimezone(tz).replace(tzinfo=None) == midnight + dt.timedelta(minutes=start_minute)
    a = min(start_minute + inner[0], end_minute - 1)
    b = max(a + 1, end_minute - inner[1])
    shift = Interval(
        local_to_utc(midnight + dt.timedelta(minutes=a), tz),
        local_to_utc(midnight + dt.timedelta(minutes=b), tz),
    )
    assert is_inside(shift, windows, tz)
    minute = dt.timedelta(minutes=1)
    assert not is_inside(Interval(lo - minute, hi), windows, tz)
    assert not is_inside(Interval(lo, hi + minute), windows, tz)
    assert is_inside(Interval(lo, hi), windows, tz)
    assert is_inside(Interval(lo - minute, hi), [], tz)


def _ops_notices(client, ops, kind: str) -> list[dict]:
    found = client.get(f"{API}/notifications?page_size=100", headers=ops)
    assert found.status_code == 200, found.json
    return [n for n in found.json["items"] if n["kind"] == kind]


def test_narrowing_lists_planned_shifts_outside_and_tells_ops(
    app, client, ops, as_role, new_contractor, plan
):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    day = db.utcnow().date() + dt.timedelta(days=10)
    morning = _plan_local(plan, cid, day, 8, 12).json
    evening = _plan_local(plan, cid, day + dt.timedelta(days=2), 17, 21).json
    assert "id" in morning and "id" in evening, (morning, evening)
    narrowed = [{"weekday": d, "start": "07:00", "end": "16:00"} for d in range(7)]
    put = client.put(f"{API}/me/availability", json={"windows": narrowed}, headers=me)
    assert put.status_code == 200, put.json
    (conflict,) = put.json["conflicts"]
    assert conflict["shift_id"] == evening["id"]
    assert conflict["queue"] == "General labelling"
    local = dt.datetime.fromisoformat(conflict["local_start"])
    later = day + dt.timedelta(days=2)
    assert (local.date(), local.hour) == (later, 17)
    assert local.utcoffset() == _local(later, 17).astimezone(NEW_YORK).utcoffset()
    assert dt.datetime.fromisoformat(conflict["local_end"]).hour == 21
    # kept, not cancelled: ops decide
    shifts = client.get(f"{API}/shifts?contractor_id={cid}", headers=ops).json["items"]
    assert {s["id"]: s["status"] for s in shifts} == {
        morning["id"]: "scheduled",
        evening["id"]: "scheduled",
    }
    (notice,) = _ops_notices(client, ops, "availability.conflicts")
    assert notice["payload"]["contractor_id"] == cid
    assert [s["shift_id"] for s in notice["payload"]["shifts"]] == [evening["id"]]
    with db.get_db(app).reader() as session:
        summaries = session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "availability.set")
        ).all()
    assert summaries[-1]["planned_outside"] == [evening["id"]]
    # ops setting the same windows see the same conflicts
    again = client.put(
        f"{API}/contractors/{cid}/availability", json={"windows": narrowed}, headers=ops
    )
    assert [c["shift_id"] for c in again.json["conflicts"]] == [evening["id"]]
    # ... but nobody is told twice of the same shifts; a further shift outside is news
    assert len(_ops_notices(client, ops, "availability.conflicts")) == 1
    narrower = [{"weekday": d, "start": "09:00", "end": "16:00"} for d in range(7)]
    both = client.put(f"{API}/me/availability", json={"windows": narrower}, headers=me)
    assert {c["shift_id"] for c in both.json["conflicts"]} == {morning["id"], evening["id"]}
    latest = _ops_notices(client, ops, "availability.conflicts")
    assert len(latest) == 2
    assert {s["shift_id"] for n in latest for s in n["payload"]["shifts"]} == {
        morning["id"],
        evening["id"],
    }


def test_widening_leaves_no_conflicts_and_tells_nobody(client, ops, as_role, new_contractor, plan):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    day = db.utcnow().date() + dt.timedelta(days=10)
    client.put(f"{API}/me/availability", json={"windows": WEEKDAYS}, headers=me)
    assert _plan_local(plan, cid, day, 9, 17).status_code == 201
    wider = [{"weekday": d, "start": "06:00", "end": "22:00"} for d in range(7)]
    put = client.put(f"{API}/me/availability", json={"windows": wider}, headers=me)
    assert put.status_code == 200 and put.json["conflicts"] == []
    cleared = client.put(f"{API}/me/availability", json={"windows": []}, headers=me)
    assert cleared.json["conflicts"] == []
    assert _ops_notices(client, ops, "availability.conflicts") == []


def test_past_and_cancelled_shifts_are_no_conflict(client, ops, as_role, new_contractor, plan):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    day = db.utcnow().date() + dt.timedelta(days=10)
    shift = _plan_local(plan, cid, day, 18, 22).json
    cancelled = client.post(
        f"{API}/shifts/{shift['id']}/cancel", json={"reason": "not needed"}, headers=ops
    )
    assert cancelled.status_code == 200, cancelled.json
    put = client.put(f"{API}/me/availability", json={"windows": WEEKDAYS}, headers=me)
    assert put.json["conflicts"] == []
    assert _ops_notices(client, ops, "availability.conflicts") == []
