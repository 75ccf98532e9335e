"""``GET /shift-patterns``, ``GET,PATCH,DELETE /shift-patterns/{id}``: future shifts follow a
changed pattern, past ones stay (docs/shift-patterns.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.factories import post_queue
from tests.scheduling.conftest import API
from workforce import db
from workforce.audit import AuditEvent
from workforce.notifications.models import Notification

NAIROBI = ZoneInfo("Africa/Nairobi")


def today() -> dt.date:
    return db.utcnow().astimezone(NAIROBI).date()


def make_pattern(client, ops, cid: int, queue: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Every day from three days ago to ten days ahead, 09:00 Nairobi, 6 h."""
    body = {
        "contractor_id": cid,
        "queue_id": queue["id"],
        "days_of_week": [0, 1, 2, 3, 4, 5, 6],
        "local_start": "09:00",
        "duration_minutes": 360,
        "from": (today() - dt.timedelta(days=3)).isoformat(),
        "until": (today() + dt.timedelta(days=10)).isoformat(),
        **fields,
    }
    response = client.post(f"{API}/shift-patterns", json=body, headers=ops)
    assert response.status_code == 201, response.json
    return response.json


def split(shifts: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """(shifts that started before now, shifts that start later)."""
    now = db.utcnow()
    past = [s for s in shifts if dt.datetime.fromisoformat(s["starts_at"]) <= now]
    return past, [s for s in shifts if dt.datetime.fromisoformat(s["starts_at"]) > now]


def local(shift: dict[str, Any]) -> str:
    return dt.datetime.fromisoformat(shift["starts_at"]).astimezone(NAIROBI).strftime("%H:%M")


def test_future_shifts_follow_a_new_start_and_past_ones_stay(
    client, app, ops, new_contractor, queue
) -> None:
    cid = new_contractor()
    created = make_pattern(client, ops, cid, queue)
    past, future = split(created["shifts"])
    assert len(past) >= 3 and len(future) >= 10
    # 20:00 every day: checked against where the other shifts will be, not where they were
    # (a 20:00-02:00 shift next to tomorrow's old 09:00 would leave 7 h of rest)
    response = client.patch(
        f"{API}/shift-patterns/{created['id']}", json={"local_start": "20:00"}, headers=ops
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["local_start"] == "20:00"
    by_id = {s["id"]: s for s in body["shifts"]}
    assert all(by_id[s["id"]] == s for s in past)  # untouched
    for s in future:
        moved = by_id[s["id"]]  # moved, not cancelled and planned anew
        assert local(moved) == "20:00" and moved["status"] == "scheduled"
        assert moved["sequence"] == s["sequence"] + 1
        assert moved["starts_at"][:10] >= s["starts_at"][:10]
    with db.transaction(app) as session:
        updates = session.scalars(
            select(AuditEvent.target_id).where(AuditEvent.action == "shift.update")
        ).all()
        told = session.scalars(
            select(Notification.payload).where(Notification.kind == "shift.changed")
        ).all()
        pattern_audit = session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "shift_pattern.update")
        ).one()
    assert sorted(map(int, updates)) == sorted(s["id"] for s in future)
    assert len(told) == len(future)
    assert pattern_audit["fields"] == ["local_start"]


def test_days_and_until_cancel_and_add_future_shifts(client, app, ops, new_contractor, queue):
    cid = new_contractor()
    weekdays = make_pattern(client, ops, cid, queue, days_of_week=[0, 1, 2, 3, 4])
    past, future = split(weekdays["shifts"])
    new_until = today() + dt.timedelta(days=17)
    response = client.patch(
        f"{API}/shift-patterns/{weekdays['id']}",
        json={"days_of_week": [0, 2, 4, 5], "until": new_until.isoformat()},
        headers=ops,
    )
    assert response.status_code == 200, response.json
    shifts = response.json["shifts"]
    by_id = {s["id"]: s for s in shifts}
    for s in future:
        day = dt.datetime.fromisoformat(s["starts_at"]).astimezone(NAIROBI).weekday()
        expected = "scheduled" if day in (0, 2, 4) else "cancelled"
        assert by_id[s["id"]]["status"] == expected
        if expected == "cancelled":
            assert by_id[s["id"]]["cancel_reason"] == "the shift pattern changed"
    for s in past:
        assert by_id[s["id"]]["status"] == "scheduled"  # a Tuesday in the past stays
    live = [s for s in shifts if s["status"] == "scheduled"]
    _, live_future = split(live)
    days = {
        dt.datetime.fromisoformat(s["starts_at"]).astimezone(NAIROBI).date() for s in live_future
    }
    assert {d.weekday() for d in days} <= {0, 2, 4, 5}
    assert max(days) <= new_until and any(d.weekday() == 5 for d in days)  # Saturdays added
    assert {s["pattern_id"] for s in shifts} == {weekdays["id"]}
    # shorter again: the days past the new end are cancelled
    shorter = client.patch(
        f"{API}/shift-patterns/{weekdays['id']}",
        json={"until": (today() + dt.timedelta(days=2)).isoformat()},
        headers=ops,
    )
    assert shorter.status_code == 200, shorter.json
    last = today() + dt.timedelta(days=2)
    for s in shorter.json["shifts"]:
        day = dt.datetime.fromisoformat(s["starts_at"]).astimezone(NAIROBI).date()
        if day > last:
            assert s["status"] == "cancelled"


def test_a_shift_handled_on_its_own_stays(client, ops, new_contractor, queue) -> None:
    cid, other = new_contractor(), new_contractor()
    created = make_pattern(client, ops, cid, queue)
    _, future = split(created["shifts"])
    given_away = future[-1]
    moved = client.patch(
        f"{API}/shifts/{given_away['id']}", json={"contractor_id": other}, headers=ops
    )
    assert moved.status_code == 200, moved.json
    response = client.patch(
        f"{API}/shift-patterns/{created['id']}", json={"local_start": "10:00"}, headers=ops
    )
    assert response.status_code == 200, response.json
    kept = {s["id"]: s for s in response.json["shifts"]}[given_away["id"]]
    assert kept["contractor_id"] == other and kept["starts_at"] == moved.json["starts_at"]


def test_a_day_whose_shift_stays_gets_no_second_shift(client, ops, new_contractor, queue) -> None:
    """A shift given away, cancelled on its own or already started keeps its day: the
    change plans no new shift for the pattern's contractor on it."""
    cid, other = new_contractor(), new_contractor()
    created = make_pattern(client, ops, cid, queue)
    _, future = split(created["shifts"])
    given_away, cancelled = future[-1], future[-2]
    moved = client.patch(
        f"{API}/shifts/{given_away['id']}", json={"contractor_id": other}, headers=ops
    )
    assert moved.status_code == 200, moved.json
    dropped = client.post(
        f"{API}/shifts/{cancelled['id']}/cancel", json={"reason": "sick"}, headers=ops
    )
    assert dropped.status_code == 200, dropped.json
    response = client.patch(
        f"{API}/shift-patterns/{created['id']}", json={"local_start": "20:00"}, headers=ops
    )
    assert response.status_code == 200, response.json
    per_day: dict[dt.date, int] = {}
    for shift in response.json["shifts"]:
        day = dt.datetime.fromisoformat(shift["starts_at"]).astimezone(NAIROBI).date()
        per_day[day] = per_day.get(day, 0) + 1
    assert set(per_day.values()) == {1}, per_day


def test_the_rules_hold_for_every_moved_shift_or_nothing_changes(
    client, ops, new_contractor, queue
) -> None:
    cid = new_contractor()
    created = make_pattern(client, ops, cid, queue)
    url = f"{API}/shift-patterns/{created['id']}"
    refused = client.patch(url, json={"duration_minutes": 13 * 60}, headers=ops)
    assert refused.status_code == 409
    assert refused.json["code"] in ("shift_too_long", "rest_too_short", "weekly_hours_exceeded")
    assert "starts_at" in refused.json
    unchanged = client.get(url, headers=ops).json
    assert unchanged["duration_minutes"] == 360 and unchanged["shifts"] == created["shifts"]
    overridden = client.patch(
        url,
        json={"duration_minutes": 9 * 60, "days_of_week": [0, 1, 2, 3, 4],
              "override_reason": "quarter-end backlog"},
        headers=ops,
    )  # fmt: skip
    assert overridden.status_code == 200, overridden.json
    assert overridden.json["duration_minutes"] == 540
    # the queue must take shifts: a future shift cannot move to an inactive one
    other = post_queue(client, ops, slug="paused", name="Paused")
    client.patch(f"{API}/queues/{other['id']}", json={"active": False}, headers=ops)
    moved = client.patch(url, json={"queue_id": other["id"]}, headers=ops)
    assert moved.status_code == 409, moved.json


def test_delete_cancels_the_future_and_keeps_the_past(client, app, ops, new_contractor, queue):
    cid = new_contractor()
    created = make_pattern(client, ops, cid, queue)
    past, future = split(created["shifts"])
    url = f"{API}/shift-patterns/{created['id']}"
    response = client.delete(url, json={"reason": "contract ends"}, headers=ops)
    assert response.status_code == 200, response.json
    assert response.json["deleted_at"] is not None
    by_id = {s["id"]: s for s in response.json["shifts"]}
    assert all(by_id[s["id"]]["status"] == "cancelled" for s in future)
    assert all(by_id[s["id"]]["cancel_reason"] == "contract ends" for s in future)
    assert all(by_id[s["id"]] == s for s in past)
    assert client.patch(url, json={"until": "2099-01-01"}, headers=ops).json["code"] == (
        "pattern_deleted"
    )
    assert client.delete(url, headers=ops).status_code == 409
    assert client.get(url, headers=ops).status_code == 200  # kept: its past shifts point to it
    listed = client.get(f"{API}/shift-patterns", headers=ops).json
    assert listed["total"] == 0
    listed = client.get(f"{API}/shift-patterns?include_deleted=true", headers=ops).json
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    with db.transaction(app) as session:
        summary = session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "shift_pattern.delete")
        ).one()
    assert sorted(summary["cancelled_shift_ids"]) == sorted(s["id"] for s in future)


def test_the_list_filters_and_pages(client, ops, as_role, new_contractor, queue) -> None:
    a, b = new_contractor(), new_contractor()
    first = make_pattern(client, ops, a, queue)
    second = make_pattern(client, ops, b, queue)
    page = client.get(f"{API}/shift-patterns?page_size=1", headers=as_role("compliance")).json
    assert page["total"] == 2 and [p["id"] for p in page["items"]] == [second["id"]]
    assert "shifts" not in page["items"][0]
    mine = client.get(f"{API}/shift-patterns?contractor_id={a}", headers=ops).json
    assert [p["id"] for p in mine["items"]] == [first["id"]]
    by_queue = client.get(f"{API}/shift-patterns?queue_id={queue['id']}", headers=ops).json
    assert by_queue["total"] == 2
    assert client.get(f"{API}/shift-patterns/424242", headers=ops).status_code == 404
    bad = client.patch(f"{API}/shift-patterns/{first['id']}", json={"from": "2027-01-01"},
                       headers=ops)  # fmt: skip
    assert bad.status_code == 422 and "from" in bad.json["errors"]


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    days=st.sets(st.integers(0, 6), min_size=1),
    hour=st.integers(0, 15),
    hours=st.integers(1, 8),
)
def test_after_a_change_the_future_is_exactly_the_new_pattern(
    client, ops, new_contractor, queue, days, hour, hours
) -> None:
    """Whatever the new days, start and length: the pattern's live shifts are one per new
    pattern day at the new local start, lasting the new length."""
    cid = new_contractor()
    tomorrow = today() + dt.timedelta(days=1)
    created = make_pattern(
        client, ops, cid, queue, days_of_week=[0, 3], **{"from": tomorrow.isoformat()}
    )
    response = client.patch(
        f"{API}/shift-patterns/{created['id']}",
        json={"days_of_week": sorted(days), "local_start": f"{hour:02d}:30",
              "duration_minutes": hours * 60, "override_reason": "property test"},
        headers=ops,
    )  # fmt: skip
    assert response.status_code == 200, response.json
    shifts = response.json["shifts"]
    future = [s for s in shifts if s["status"] == "scheduled"]
    expected = set()
    for offset in range(1, 11):
        day = today() + dt.timedelta(days=offset)
        if day.weekday() in days:
            expected.add(dt.datetime.combine(day, dt.time(hour, 30), NAIROBI))
    assert {dt.datetime.fromisoformat(s["starts_at"]) for s in future} == expected
    for s in future:
        length = dt.datetime.fromisoformat(s["ends_at"]) - dt.datetime.fromisoformat(s["starts_at"])
        assert length == dt.timedelta(hours=hours)
