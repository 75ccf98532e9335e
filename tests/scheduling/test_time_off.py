"""Time off: requests, cancel, ops' decisions, ``on_leave``, ``needs_cover`` and what ops
(and the audit log) may see of wellbeing leave."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.scheduling.conftest import API
from workforce import db
from workforce.audit import AuditEvent
from workforce.notifications.models import Notification
from workforce.scheduling import time_off
from workforce.scheduling.models import TimeOffRequest
from workforce.scheduling.patterns import local_to_utc
from workforce.scheduling.rules import Interval
from workforce.scheduling.time_off import range_bounds
from workforce.shifts.models import Shift
from workforce.timeutil import split_by_local_day

NEW_YORK = ZoneInfo("America/New_York")
D = dt.date(2027, 2, 8)  # a Monday, far from any DST change


def _local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return local_to_utc(dt.datetime.combine(day, dt.time(hh, mm)), NEW_YORK)


def _new_yorker(new_contractor) -> int:
    return new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")


def _ask(client, me, starts_on, ends_on, kind="vacation", **extra):
    body = {"starts_on": str(starts_on), "ends_on": str(ends_on), "kind": kind, **extra}
    return client.post(f"{API}/me/time-off", json=body, headers=me)


def _notifications(app, kind):
    with db.get_db(app).reader() as session:
        return list(session.scalars(select(Notification).where(Notification.kind == kind)))


def test_request_list_and_cancel(client, ops, as_role, new_contractor):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    asked = _ask(client, me, D, D + dt.timedelta(days=4), note="Family visit")
    assert asked.status_code == 201, asked.json
    assert asked.json["status"] == "pending"
    assert asked.json["kind"] == "vacation"
    assert asked.json["note"] == "Family visit"
    mine = client.get(f"{API}/me/time-off", headers=me).json
    assert [r["id"] for r in mine["items"]] == [asked.json["id"]]
    listed = client.get(f"{API}/time-off?status=pending&contractor_id={cid}", headers=ops).json
    assert listed["total"] == 1
    assert listed["items"][0]["note"] == "Family visit"
    assert client.get(f"{API}/time-off?status=approved", headers=ops).json["total"] == 0
    cancelled = client.post(f"{API}/me/time-off/{asked.json['id']}/cancel", headers=me)
    assert cancelled.json["status"] == "cancelled"
    again = client.post(f"{API}/me/time-off/{asked.json['id']}/cancel", headers=me)
    assert again.status_code == 409
    assert again.json["code"] == "time_off_not_pending"
    # another contractor cannot see or cancel it
    other = as_role("contractor", new_contractor())
    assert (
        client.post(f"{API}/me/time-off/{asked.json['id']}/cancel", headers=other).status_code
        == 404
    )
    assert client.get(f"{API}/me/time-off", headers=other).json["total"] == 0
    # a cancelled request no longer holds its dates
    assert _ask(client, me, D, D).status_code == 201


def test_bad_requests_are_422_naming_the_field(client, as_role, new_contractor):
    me = as_role("contractor", new_contractor())
    cases = [
        (
            {"starts_on": str(D), "ends_on": str(D - dt.timedelta(days=1)), "kind": "sick"},
            "ends_on",
        ),
        (
            {"starts_on": str(D), "ends_on": str(D + dt.timedelta(days=366)), "kind": "sick"},
            "ends_on",
        ),
        ({"starts_on": str(D), "ends_on": str(D), "kind": "holiday"}, "kind"),
        ({"starts_on": "1999-12-31", "ends_on": str(D), "kind": "sick"}, "starts_on"),
        ({"starts_on": "2027-02-30", "ends_on": str(D), "kind": "sick"}, "starts_on"),
        ({"starts_on": str(D), "ends_on": str(D), "kind": "sick", "note": ""}, "note"),
        ({"ends_on": str(D), "kind": "sick"}, "starts_on"),
        ({"starts_on": str(D), "ends_on": str(D), "kind": "sick", "reason": "x"}, "reason"),
    ]
    for body, field in cases:
        response = client.post(f"{API}/me/time-off", json=body, headers=me)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (field, response.json)


def test_overlapping_requests_are_409(client, ops, as_role, new_contractor):
    me = as_role("contractor", new_contractor())
    first = _ask(client, me, D, D + dt.timedelta(days=2)).json
    clash = _ask(client, me, D + dt.timedelta(days=2), D + dt.timedelta(days=5), kind="sick")
    assert clash.status_code == 409
    assert clash.json["code"] == "time_off_overlap"
    assert clash.json["time_off_id"] == first["id"]
    # the day after is fine; a rejected request frees its dates
    assert _ask(client, me, D + dt.timedelta(days=3), D + dt.timedelta(days=3)).status_code == 201
    client.post(f"{API}/time-off/{first['id']}/reject", json={"comment": "peak"}, headers=ops)
    assert _ask(client, me, D, D + dt.timedelta(days=2)).status_code == 201


def test_approval_releases_shifts_and_blocks_new_ones(
    app, client, ops, as_role, new_contractor, plan
):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    inside = plan(cid, _local(D + dt.timedelta(days=1), 9)).json
    # ends after local midnight that starts the leave: it touches the range
    evening = plan(cid, _local(D - dt.timedelta(days=1), 20), hours=5).json
    after = plan(cid, _local(D + dt.timedelta(days=4), 9)).json
    asked = _ask(client, me, D, D + dt.timedelta(days=2)).json
    approved = client.post(
        f"{API}/time-off/{asked['id']}/approve", json={"comment": "enjoy"}, headers=ops
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.json["shifts_released"] == 2
    with db.get_db(app).reader() as session:
        shifts = {s.id: s for s in session.scalars(select(Shift))}
    for released in (inside["id"], evening["id"]):
        assert shifts[released].status == "cancelled"
        assert shifts[released].needs_cover is True
        assert shifts[released].cancel_reason == f"time off {asked['id']}"
    assert shifts[after["id"]].status == "scheduled"
    assert shifts[after["id"]].needs_cover is False
    # the contractor hears of the decision and of each released shift; ops of the shifts
    decided = _notifications(app, "time_off.approved")
    assert [(n.audience, n.contractor_id, n.payload["comment"]) for n in decided] == [
        ("contractor", cid, "enjoy")
    ]
    cancelled = _notifications(app, "shift.cancelled")
    assert sorted((n.audience, n.payload["shift_id"]) for n in cancelled) == sorted(
        (a, s) for a in ("contractor", "ops") for s in (inside["id"], evening["id"])
    )
    # new shifts in the range: on_leave, whatever the reason; 22:00 local is 03:00 UTC
    # the next day, still inside the last local date
    for start in (_local(D, 9), _local(D + dt.timedelta(days=2), 22)):
        refused = plan(cid, start, hours=1, override_reason="we are short-staffed")
        assert refused.status_code == 409
        assert refused.json["code"] == "on_leave"
        assert refused.json["time_off_id"] == asked["id"]
    # moving a shift into the range is refused too
    moved = client.patch(
        f"{API}/shifts/{after['id']}",
        json={"starts_at": _local(D, 9).isoformat(), "ends_at": _local(D, 17).isoformat()},
        headers=ops,
    )
    assert moved.json["code"] == "on_leave"
    # the day after the leave is open again
    assert plan(cid, _local(D + dt.timedelta(days=3), 9)).status_code == 201
    again = client.post(f"{API}/time-off/{asked['id']}/approve", headers=ops)
    assert again.status_code == 409
    assert again.json["code"] == "time_off_not_pending"
    cancel = client.post(f"{API}/me/time-off/{asked['id']}/cancel", headers=me)
    assert cancel.json["code"] == "time_off_not_pending"


def test_rejection_needs_a_comment_and_tells_the_contractor(
    app, client, ops, as_role, new_contractor, plan
):
    cid = _new_yorker(new_contractor)
    asked = _ask(client, as_role("contractor", cid), D, D).json
    missing = client.post(f"{API}/time-off/{asked['id']}/reject", json={}, headers=ops)
    assert missing.status_code == 422
    assert "comment" in missing.json["errors"]
    rejected = client.post(
        f"{API}/time-off/{asked['id']}/reject", json={"comment": "audit week"}, headers=ops
    )
    assert rejected.json["status"] == "rejected"
    assert rejected.json["comment"] == "audit week"
    (notice,) = _notifications(app, "time_off.rejected")
    assert notice.contractor_id == cid
    assert notice.payload["comment"] == "audit week"
    # rejected leave blocks nothing
    assert plan(cid, _local(D, 9)).status_code == 201
    assert client.post(f"{API}/time-off/999999/approve", headers=ops).status_code == 404
    denied = client.post(
        f"{API}/time-off/{asked['id']}/approve", headers=as_role("contractor", cid)
    )
    assert denied.status_code == 403


def test_wellbeing_leave_is_plain_time_off_to_ops_and_the_audit_log(
    app, client, ops, as_role, new_contractor, plan
):
    cid = _new_yorker(new_contractor)
    me = as_role("contractor", cid)
    plan(cid, _local(D, 9))
    asked = _ask(client, me, D, D + dt.timedelta(days=1), kind="wellbeing", note="need a rest")
    assert asked.json["kind"] == "wellbeing"
    assert asked.json["note"] == "need a rest"
    seen = client.get(f"{API}/time-off", headers=ops).json["items"][0]
    assert seen["kind"] == "time_off"
    assert seen["note"] is None
    approved = client.post(f"{API}/time-off/{asked.json['id']}/approve", headers=ops).json
    assert approved["kind"] == "time_off"
    assert approved["note"] is None
    assert client.get(f"{API}/me/time-off", headers=me).json["items"][0]["kind"] == "wellbeing"
    # a wellbeing request needs no note
    assert (
        _ask(
            client, me, D + dt.timedelta(days=9), D + dt.timedelta(days=9), kind="wellbeing"
        ).status_code
        == 201
    )
    with db.get_db(app).reader() as session:
        audit_text = json.dumps(
            [e.summary for e in session.scalars(select(AuditEvent))], default=str
        )
        notices = json.dumps(
            [n.payload for n in session.scalars(select(Notification))], default=str
        )
    assert "time_off" in audit_text
    for text in (audit_text, notices):
        assert "wellbeing" not in text
        assert "need a rest" not in text


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["America/New_York", "America/Chicago", "Europe/London", "Asia/Tokyo"]),
    starts_on=st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    days=st.integers(0, 20),
    offset_minutes=st.integers(-3 * 24 * 60, 25 * 24 * 60),
    length_minutes=st.integers(1, 24 * 60),
)
def test_leave_covers_exactly_its_local_dates(
    zone, starts_on, days, offset_minutes, length_minutes
):
    """An instant is on leave exactly when its local date lies in the range, DST or not."""
    tz = ZoneInfo(zone)
    request = TimeOffRequest(starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days))
    lo, hi = range_bounds(request, tz)
    at = lo + dt.timedelta(minutes=offset_minutes)
    local = at.astimezone(tz).date()
    assert (lo <= at < hi) == (request.starts_on <= local <= request.ends_on)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["America/New_York", "Europe/London", "Asia/Tokyo", "Pacific/Kiritimati"]),
    starts_on=st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    days=st.integers(0, 5),
    offset_minutes=st.integers(-3 * 24 * 60, 8 * 24 * 60),
    length_minutes=st.integers(1, 24 * 60),
)
def test_a_shift_clashes_with_leave_exactly_when_one_of_its_local_days_is_off(
    zone, starts_on, days, offset_minutes, length_minutes
):
    """The one overlap test (``time_off.clash``, behind ``require_not_on_leave``,
    ``on_leave`` and the open shifts) against the days the shift covers on the clock."""
    tz = ZoneInfo(zone)
    request = TimeOffRequest(starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days))
    start = local_to_utc(dt.datetime.combine(starts_on, dt.time()), tz) + dt.timedelta(
        minutes=offset_minutes
    )
    shift = Interval(start, start + dt.timedelta(minutes=length_minutes))  # in UTC
    local_days = {day for day, _, _ in split_by_local_day(shift.start, shift.end, tz)}
    off = any(request.starts_on <= day <= request.ends_on for day in local_days)
    assert (time_off.clash([request], tz, [shift]) is not None) == off
