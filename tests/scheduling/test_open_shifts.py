"""``GET /me/open-shifts``: local times, queue names, holidays and display strings in the
contractor's zone and language, as ``/me/schedule`` gives them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.factories import make_contractor, make_queue, make_shift
from tests.scheduling.conftest import API
from workforce import db
from workforce.contractors.models import Contractor
from workforce.errors import Conflict
from workforce.queues.models import Queue
from workforce.scheduling import time_off
from workforce.scheduling.availability import set_windows
from workforce.scheduling.enforcement import enforce
from workforce.scheduling.queries import takeable_open_shift_ids
from workforce.scheduling.rules import Interval
from workforce.shifts.models import Shift

NAIROBI = ZoneInfo("Africa/Nairobi")
MANILA = ZoneInfo("Asia/Manila")


def next_jamhuri_day() -> dt.date:
    """The next 12 December (Jamhuri Day in Kenya) at least a day away."""
    today = db.utcnow().date()
    day = dt.date(today.year, 12, 12)
    return day if day > today + dt.timedelta(days=1) else day.replace(year=today.year + 1)


def test_open_shifts_in_my_time_and_language_with_the_holiday(
    client, as_role, new_contractor, plan
) -> None:
    day = next_jamhuri_day()
    start = dt.datetime.combine(day, dt.time(9), NAIROBI)
    shift = plan(None, start).json
    cid = new_contractor(locale="sw_KE", subdivision="KE-30")
    me = as_role("contractor", cid)
    answer = client.get(f"{API}/me/open-shifts", headers=me)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["timezone"], body["locale"], body["total"]) == ("Africa/Nairobi", "sw_KE", 1)
    (entry,) = body["items"]
    assert entry["id"] == shift["id"] and entry["contractor_id"] is None
    assert entry["local_start"] == f"{day.isoformat()}T09:00:00+03:00"
    assert entry["local_end"] == f"{day.isoformat()}T17:00:00+03:00"
    assert entry["queue"] == "General labelling" and entry["queue_slug"] == "general"
    assert entry["holiday"] == "Siku ya Jamhuri"
    assert entry["display"]["text"].endswith(f"12 Desemba {day.year}, 09:00–17:00")
    # the shift's own fields are all still there (the answer only grew)
    assert entry["sequence"] == 0 and entry["needs_cover"] is False
    assert entry["pattern_id"] is None and entry["status"] == "scheduled"
    english = client.get(f"{API}/me/open-shifts?locale=en_KE", headers=me).json
    assert english["locale"] == "en_KE"
    assert english["items"][0]["holiday"] == "Jamhuri Day"
    assert english["items"][0]["display"]["text"].endswith(f"12 December {day.year}, 09:00–17:00")


def test_another_zone_sees_its_own_wall_time_and_no_foreign_holiday(
    client, as_role, new_contractor, plan
) -> None:
    day = next_jamhuri_day()
    plan(None, dt.datetime.combine(day, dt.time(9), NAIROBI))
    cid = new_contractor(country="PH", locale="en_PH")
    (entry,) = client.get(f"{API}/me/open-shifts", headers=as_role("contractor", cid)).json["items"]
    assert entry["local_start"] == f"{day.isoformat()}T14:00:00+08:00"  # 09:00 in Nairobi
    assert entry["timezone"] == "Asia/Manila"
    assert entry["holiday"] is None  # Jamhuri Day is Kenya's


def test_a_bad_locale_is_a_422_naming_it(client, as_role, new_contractor) -> None:
    cid = new_contractor()
    answer = client.get(f"{API}/me/open-shifts?locale=xx_YY", headers=as_role("contractor", cid))
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == ["locale"]
    unknown = client.get(f"{API}/me/open-shifts?when=now", headers=as_role("contractor", cid))
    assert unknown.status_code == 422


def test_pages(client, as_role, new_contractor, plan) -> None:
    day = next_jamhuri_day() - dt.timedelta(days=1)
    for hour in (1, 9, 17):  # hours apart: three open shifts
        plan(None, dt.datetime.combine(day, dt.time(hour), NAIROBI), hours=4)
    me = as_role("contractor", new_contractor())
    first = client.get(f"{API}/me/open-shifts?page_size=2", headers=me).json
    second = client.get(f"{API}/me/open-shifts?page_size=2&page=2", headers=me).json
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    starts = [e["local_start"][11:16] for e in first["items"] + second["items"]]
    assert starts == ["01:00", "09:00", "17:00"]


NEW_YORK = ZoneInfo("America/New_York")


def _listed(client, me) -> list[int]:
    answer = client.get(f"{API}/me/open-shifts", headers=me)
    assert answer.status_code == 200, answer.json
    assert answer.json["total"] == len(answer.json["items"])
    return [item["id"] for item in answer.json["items"]]


def _next_change(tz: ZoneInfo) -> dt.date:
    """The first local date at least two weeks away on which ``tz``'s offset changes."""
    day = db.utcnow().date() + dt.timedelta(days=14)
    while True:
        before = dt.datetime.combine(day, dt.time(0), tz).utcoffset()
        after = dt.datetime.combine(day, dt.time(23), tz).utcoffset()
        if before != after:
            return day
        day += dt.timedelta(days=1)


def _local(day: dt.date, hour: int, tz: ZoneInfo = NEW_YORK) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tz).astimezone(dt.UTC)


def test_shifts_outside_my_availability_are_not_offered(
    client, as_role, new_contractor, plan
) -> None:
    cid = new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")
    me = as_role("contractor", cid)
    day = db.utcnow().date() + dt.timedelta(days=10)
    inside = plan(None, _local(day, 9)).json["id"]
    evening = plan(None, _local(day, 18), hours=4).json["id"]
    assert _listed(client, me) == [inside, evening]  # no windows: available at any time
    windows = [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(7)]
    assert (
        client.put(f"{API}/me/availability", json={"windows": windows}, headers=me).status_code
        == 200
    )
    assert _listed(client, me) == [inside]
    claim = client.post(f"{API}/shifts/{evening}/claim", headers=me)
    assert claim.status_code == 409 and claim.json["code"] == "outside_availability"


def test_shifts_on_my_approved_time_off_are_not_offered(
    client, ops, as_role, new_contractor, plan
) -> None:
    cid = new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")
    me = as_role("contractor", cid)
    day = db.utcnow().date() + dt.timedelta(days=10)
    before = plan(None, _local(day - dt.timedelta(days=1), 9)).json["id"]
    # 23:00 the evening before the leave, ending on its first day: touches it
    touching = plan(None, _local(day - dt.timedelta(days=1), 23), hours=4).json["id"]
    during = plan(None, _local(day, 9)).json["id"]
    after = plan(None, _local(day + dt.timedelta(days=1), 9)).json["id"]
    asked = client.post(
        f"{API}/me/time-off",
        json={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "kind": "vacation"},
        headers=me,
    )
    assert _listed(client, me) == [before, touching, during, after]  # pending: still offered
    assert client.post(f"{API}/time-off/{asked.json['id']}/approve", headers=ops).status_code == 200
    assert _listed(client, me) == [before, after]
    claim = client.post(f"{API}/shifts/{during}/claim", headers=me)
    assert claim.status_code == 409 and claim.json["code"] == "on_leave"


def test_a_dst_week_keeps_my_local_windows(client, as_role, new_contractor, plan) -> None:
    """09:00-17:00 local stays offered on both sides of the change; the same UTC hours
    on the other side are an hour off locally and are not offered."""
    cid = new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")
    me = as_role("contractor", cid)
    change = _next_change(NEW_YORK)
    before, after = change - dt.timedelta(days=2), change + dt.timedelta(days=1)
    windows = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]
    client.put(f"{API}/me/availability", json={"windows": windows}, headers=me)
    offered = [plan(None, _local(day, 9)).json["id"] for day in (before, after)]
    # the UTC hours of 09:00 before the change, on the day after it
    same_utc = _local(before, 9) + (after - before)
    shifted = plan(None, same_utc).json["id"]
    assert _listed(client, me) == offered
    claim = client.post(f"{API}/shifts/{shifted}/claim", headers=me)
    assert claim.status_code == 409 and claim.json["code"] == "outside_availability"


def test_pages_count_only_what_i_may_take(client, as_role, new_contractor, plan) -> None:
    cid = new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")
    me = as_role("contractor", cid)
    day = db.utcnow().date() + dt.timedelta(days=10)
    ids = [plan(None, _local(day, hour), hours=2).json["id"] for hour in (2, 9, 12, 15)]
    windows = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)]
    client.put(f"{API}/me/availability", json={"windows": windows}, headers=me)
    first = client.get(f"{API}/me/open-shifts?page_size=2", headers=me).json
    second = client.get(f"{API}/me/open-shifts?page_size=2&page=2", headers=me).json
    assert first["total"] == second["total"] == 3
    assert [i["id"] for i in first["items"] + second["items"]] == ids[1:]


WINDOW_SETS = {
    "any time": [],
    "office": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    "nights": [
        *({"weekday": d, "start": "22:00", "end": "24:00"} for d in range(7)),
        *({"weekday": d, "start": "00:00", "end": "06:00"} for d in range(7)),
    ],
    "split": [
        *({"weekday": d, "start": "01:00", "end": "03:30"} for d in range(7)),
        *({"weekday": d, "start": "08:00", "end": "12:00"} for d in range(7)),
        *({"weekday": d, "start": "13:00", "end": "20:00"} for d in range(7)),
    ],
}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone=st.sampled_from(["America/New_York", "Europe/London", "Africa/Nairobi", "Asia/Manila"]),
    windows=st.sampled_from(sorted(WINDOW_SETS)),
    leave=st.none() | st.tuples(st.integers(0, 6), st.integers(0, 2)),
    # the spring change in New York (14 March 2027) and in Europe (28 March) lie within
    shifts=st.lists(
        st.tuples(st.integers(0, 24 * 22 - 1), st.integers(1, 10)), min_size=1, max_size=6
    ),
)
def test_open_shifts_are_exactly_those_a_claim_would_not_refuse_for_availability_or_leave(
    app, zone: str, windows: str, leave: tuple[int, int] | None, shifts: list[tuple[int, int]]
) -> None:
    """Listed iff ``enforce`` (what a claim runs) passes: the filter and the checks agree,
    in any zone, on any window set, with or without leave, across a DST change."""
    start = dt.datetime(2027, 3, 10, tzinfo=dt.UTC)
    with app.test_request_context():
        session = db.get_db(app).writer()
        try:  # each example in its own transaction, rolled back
            queue_id = make_queue(session, slug="prop-open")
            cid = make_contractor(session, timezone=zone)
            contractor = session.get_one(Contractor, cid)
            set_windows(session, cid, WINDOW_SETS[windows], now=start)
            if leave is not None:
                first = start.date() + dt.timedelta(days=3 + leave[0])
                request = time_off.request_time_off(
                    session,
                    contractor,
                    {
                        "starts_on": first,
                        "ends_on": first + dt.timedelta(days=leave[1]),
                        "kind": "vacation",
                    },
                )
                time_off.approve(session, request.id, None)
            ids = [
                make_shift(session, None, queue_id, start + dt.timedelta(hours=h), hours=length)
                for h, length in shifts
            ]
            listed = takeable_open_shift_ids(session, cid, start - dt.timedelta(days=1))
            queue = session.get_one(Queue, queue_id)
            accepted: list[int] = []
            codes: list[str] = []
            for shift_id in ids:
                shift = session.get_one(Shift, shift_id)
                try:
                    enforce(
                        session, contractor, queue, [Interval(shift.starts_at, shift.ends_at)], None
                    )
                except Conflict as refused:
                    codes.append(refused.code)
                    event(f"refused: {refused.code}")
                    continue
                accepted.append(shift_id)
            # no other rule may refuse here, or the property would test nothing
            assert set(codes) <= {"outside_availability", "on_leave"}
            by_start = sorted(ids, key=lambda i: (session.get_one(Shift, i).starts_at, i))
            assert listed == [i for i in by_start if i in accepted]
            event(f"listed {len(listed)} of {len(ids)}")
        finally:
            session.rollback()
            session.close()
