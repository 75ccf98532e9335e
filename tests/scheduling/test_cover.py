"""The cover finder (issue 22): who may take a shift, ranked, why, and who may not; sending
the shift to the best candidates; and a property: it never proposes anyone eligibility or
the shift rules would refuse (nor leaves out anyone they would accept)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.factories import make_contractor, make_queue, make_shift, make_token, post_queue
from tests.scheduling.conftest import API, soon
from tests.wellbeing.exposure_helpers import consent, ingest_now, ingest_token
from tests.wellbeing.exposure_helpers import event as exposure_event
from workforce import db
from workforce.contractors.credentials import decide, submit_credential
from workforce.contractors.models import Contractor
from workforce.contractors.services import set_consent, set_opt_outs
from workforce.errors import Conflict
from workforce.exposure.ingest import ingest
from workforce.queues.models import Queue
from workforce.scheduling import time_off
from workforce.scheduling.availability import set_windows
from workforce.scheduling.cover import cover_candidates
from workforce.scheduling.enforcement import enforce
from workforce.scheduling.offers import exposure_budget
from workforce.scheduling.rules import Interval
from workforce.shifts.models import Shift


def cover(client, ops, shift_id: int, **query: Any):
    response = client.get(
        f"{API}/shifts/{shift_id}/cover-candidates", query_string=query, headers=ops
    )
    assert response.status_code == 200, response.json
    return response.json


def test_each_excluding_rule_is_named_and_the_rest_ranked(app, client, ops, new_contractor) -> None:
    gore = post_queue(
        client,
        ops,
        slug="gore",
        tier=3,
        categories=["violence_gore"],
        required_credentials=[{"kind": "license", "code": "RN"}],
    )
    names = ("holder", "busy", "fresh", "exposed", "overlap", "rest", "expired", "no_consent")
    people = {name: new_contractor() for name in names}
    for name, person in people.items():
        if name != "no_consent":
            consent(app, person)
        with app.test_request_context(), db.transaction(app) as session:
            credential = submit_credential(
                session,
                person,
                {
                    "kind": "license",
                    "code": "RN",
                    "expires_on": dt.date.today() - dt.timedelta(days=1)
                    if name == "expired"
                    else None,
                },
            )
            decide(session, credential.id, "verify", None)
    start = soon(2, hour=6)  # 09:00-12:00 in Nairobi
    with db.transaction(app) as session:
        shift_id = make_shift(session, people["holder"], gore["id"], start, hours=3)
        make_shift(session, people["overlap"], gore["id"], start + dt.timedelta(hours=1), hours=1)
        make_shift(session, people["rest"], gore["id"], start - dt.timedelta(hours=6), hours=2)
    # exposed: 100 tier-3 minutes already on the shift's day: 100 + 180 > 240; busy: an
    # hour of tier-3 work two days before (ranked after fresh, whose id is higher)
    token = ingest_token(app)
    ingest_now(
        app,
        token,
        [
            exposure_event("x1", people["exposed"], start - dt.timedelta(hours=3), 100 * 60),
            exposure_event("x2", people["busy"], start - dt.timedelta(days=2), 60 * 60),
        ],
        start,
    )
    found = cover(client, ops, shift_id, include_excluded="true")
    ranked = [c["contractor_id"] for c in found["candidates"]]
    assert ranked == [people["fresh"], people["busy"]]
    fresh = found["candidates"][0]
    assert {"credentials", "consent", "no_opt_out", "exposure_budget", "rest"} <= set(
        fresh["qualifies"]
    )
    assert [c["tier3_minutes_7d"] for c in found["candidates"]] == [0, 60]
    assert fresh["hours_this_week"] == 0 and fresh["local_start"].endswith("+03:00")
    why = {c["contractor_id"]: c["excluded_by"] for c in found["excluded"]}
    assert why[people["holder"]] == ["current_holder"]
    assert why[people["overlap"]] == ["overlap"]
    assert why[people["rest"]] == ["rest_too_short"]
    assert why[people["expired"]] == ["credential_expired:RN"]
    assert why[people["no_consent"]] == ["no_consent"]
    assert why[people["exposed"]] == ["daily_limit"]
    assert cover(client, ops, shift_id)["excluded"] == []
    assert (found["total"], found["excluded_total"]) == (2, 6)
    best = cover(client, ops, shift_id, include_excluded="true", limit=1)
    assert [c["contractor_id"] for c in best["candidates"]] == [people["fresh"]]
    assert best["candidates"][0] == fresh
    assert (best["total"], len(best["excluded"]), best["excluded_total"]) == (2, 1, 6)
    assert cover(client, ops, shift_id)["excluded_total"] is None


def _accepted(session, shift_id: int, contractor_id: int) -> bool:
    """What enforce and the exposure budget say of one contractor taking the shift."""
    shift = session.get_one(Shift, shift_id)
    queue = session.get_one(Queue, shift.queue_id)
    contractor = session.get_one(Contractor, contractor_id)
    try:
        enforce(
            session, contractor, queue, [Interval(shift.starts_at, shift.ends_at, shift.id)], None
        )
        exposure_budget(session, contractor, queue, shift)
    except Conflict:
        return False
    return True


def test_weekly_hours_are_worked_time_measured_when_the_bound_is_over(app) -> None:
    """The finder bounds a week's hours by adding up the shifts in it; over the limit, the
    time is measured as the union of the shifts (as enforce does): four 11-hour shifts
    earlier in the week exclude, the same four on top of each other (11 hours) do not."""
    start = dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC)  # a Wednesday, 15:00 in Nairobi
    monday = dt.datetime(2027, 3, 8, tzinfo=dt.UTC)
    with app.test_request_context():
        session = db.get_db(app).writer()
        try:
            queue_id = make_queue(session, slug="plain", tier=0)
            shift_id = make_shift(session, make_contractor(session), queue_id, start, hours=6)
            apart, stacked = make_contractor(session), make_contractor(session)
            for n in range(4):  # 00-11 and 12-23 on Monday and Tuesday: 44 h
                at = monday + dt.timedelta(hours=12 * n)
                make_shift(session, apart, queue_id, at, hours=11)
                make_shift(session, stacked, queue_id, monday, hours=11)
            session.flush()
            found = cover_candidates(session, shift_id)
            assert [c.contractor_id for c in found.candidates] == [stacked]
            why = {c.contractor_id: c.excluded_by for c in found.excluded}
            assert why[apart] == ["weekly_hours_exceeded"]
            assert _accepted(session, shift_id, stacked)
            assert not _accepted(session, shift_id, apart)
        finally:
            session.rollback()
            session.close()


def test_a_week_a_second_over_the_limit_excludes_and_a_second_under_does_not(app) -> None:
    """The weekly bound may drop fractions of a second (SQLite adds up whole seconds), so
    it adds one a shift: it must never fall under the time worked, or someone over the
    limit by a second would be proposed without being measured."""
    start = dt.datetime(2027, 3, 11, 12, tzinfo=dt.UTC)  # a Thursday, 15:00 in Nairobi
    monday = dt.datetime(2027, 3, 8, tzinfo=dt.UTC)
    fraction = dt.timedelta(milliseconds=300)
    with app.test_request_context():
        session = db.get_db(app).writer()
        try:
            queue_id = make_queue(session, slug="plain", tier=0)
            shift_id = make_shift(session, make_contractor(session), queue_id, start, hours=6)
            over, under = make_contractor(session), make_contractor(session)
            for n in range(4):  # four 10.5-hour shifts, 12 hours apart: 42 h, give or take
                at = monday + dt.timedelta(hours=12 * n)
                end = at + dt.timedelta(hours=10.5)
                make_shift(session, over, queue_id, at, ends_at=end + fraction)
                make_shift(session, under, queue_id, at + fraction, ends_at=end)
            session.flush()
            found = cover_candidates(session, shift_id)
            assert [c.contractor_id for c in found.candidates] == [under]
            why = {c.contractor_id: c.excluded_by for c in found.excluded}
            assert why[over] == ["weekly_hours_exceeded"]
            assert _accepted(session, shift_id, under)
            assert not _accepted(session, shift_id, over)
        finally:
            session.rollback()
            session.close()


def test_a_shift_longer_than_a_weekly_limit_excludes_even_an_idle_contractor(app) -> None:
    """With a weekly limit shorter than the shift, the week is broken with no other shift:
    the finder must not take an empty week for one within the limit."""
    start = dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC)
    app.config["SHIFT_LIMITS"] = {"default": {"weekly_hours": 5}}
    with app.test_request_context():
        session = db.get_db(app).writer()
        try:
            queue_id = make_queue(session, slug="plain", tier=0)
            shift_id = make_shift(session, make_contractor(session), queue_id, start, hours=6)
            idle = make_contractor(session)
            session.flush()
            found = cover_candidates(session, shift_id)
            assert found.candidates == []
            why = {c.contractor_id: c.excluded_by for c in found.excluded}
            assert why[idle] == ["weekly_hours_exceeded"]
            assert not _accepted(session, shift_id, idle)
        finally:
            session.rollback()
            session.close()


def test_standings_read_by_a_scan_of_the_days_are_the_same(app) -> None:
    """The finder reads many contractors' exposure by a range scan of the days of
    ``contractor_days`` (``scan=True``), eligibility one contractor's ``exposure_daily``
    rows: the ingest keeps the two in step, and the standings are the same."""
    from workforce.exposure.policy import current_policy
    from workforce.exposure.standing import standings

    start = dt.datetime(2027, 3, 10, 9, tzinfo=dt.UTC)
    with app.test_request_context():
        session = db.get_db(app).writer()
        try:
            token = make_token(session, "ingest", name="s").id
            make_queue(session, slug="scan-gore", tier=3)
            people = [
                make_contractor(session, timezone=zone)
                for zone in ("Africa/Nairobi", "America/New_York", "Asia/Manila", "Africa/Nairobi")
            ]
            events = [
                {
                    "event_id": f"s{n}-{day}",
                    "contractor_id": cid,
                    "queue": "scan-gore",
                    "category": "violence_gore",
                    "started_at": (start - dt.timedelta(days=day, minutes=90)).isoformat(),
                    "duration_seconds": 60 * (30 + 20 * n + day),
                }
                for n, cid in enumerate(people[:3])
                for day in range(0, 9, 2)
            ]
            ingest(session, token, events, now=start)
            session.flush()
            facts = [session.get_one(Contractor, cid) for cid in people]
            policy = current_policy(session, start)
            by_ids = standings(session, facts, start, policy)
            scanned = standings(session, facts, start, policy, scan=True)
            assert scanned == by_ids
            assert by_ids[people[0]].tiers[3].rolling_7_day_seconds > 0
        finally:
            session.rollback()
            session.close()


def test_offer_to_the_top_candidates_first_taker_wins(
    app, client, ops, as_role, new_contractor, plan
) -> None:
    holder = new_contractor()
    others = [new_contractor() for _ in range(3)]
    shift = plan(holder, soon(2), hours=6).json
    sent = client.post(f"{API}/shifts/{shift['id']}/offer-to", json={"top": 2}, headers=ops)
    assert sent.status_code == 201, sent.json
    offers = sent.json["items"]
    assert [o["to_contractor_id"] for o in offers] == others[:2]
    assert all(o["from_contractor_id"] == holder for o in offers)
    third = as_role("contractor", others[2])
    assert client.get(f"{API}/me/shift-offers", headers=third).json["items"] == []
    first = as_role("contractor", others[1])
    taken = client.post(f"{API}/me/shift-offers/{offers[1]['id']}/accept", headers=first)
    assert taken.status_code == 200, taken.json
    late = client.post(
        f"{API}/me/shift-offers/{offers[0]['id']}/accept", headers=as_role("contractor", others[0])
    )
    assert (late.status_code, late.json["code"]) == (409, "offer_taken")
    approved = client.post(f"{API}/shift-offers/{offers[1]['id']}/approve", headers=ops)
    assert approved.status_code == 200, approved.json
    assert (
        client.get(f"{API}/shifts/{shift['id']}", headers=ops).json["contractor_id"] == (others[1])
    )
    bad = client.post(f"{API}/shifts/{shift['id']}/offer-to", json={"top": 0}, headers=ops)
    assert bad.status_code == 422 and "top" in bad.json["errors"]
    assert cover(client, ops, shift["id"])["candidates"][0]["contractor_id"] != others[1]


def test_a_shift_left_needing_cover_is_covered_through_an_offer(
    app, client, ops, as_role, new_contractor
) -> None:
    queue = post_queue(client, ops, slug="cover-q")
    holder, cover_person = new_contractor(), new_contractor()
    with db.transaction(app) as session:
        shift_id = make_shift(
            session, holder, queue["id"], soon(2), hours=4, status="cancelled", needs_cover=True
        )
    sent = client.post(f"{API}/shifts/{shift_id}/offer-to", json={"top": 1}, headers=ops).json
    offer_id = sent["items"][0]["id"]
    me = as_role("contractor", cover_person)
    assert client.post(f"{API}/me/shift-offers/{offer_id}/accept", headers=me).status_code == 200
    assert client.post(f"{API}/shift-offers/{offer_id}/approve", headers=ops).status_code == 200
    shift = client.get(f"{API}/shifts/{shift_id}", headers=ops).json
    assert (shift["contractor_id"], shift["status"], shift["needs_cover"]) == (
        cover_person,
        "scheduled",
        False,
    )


def test_unknown_shift_and_parameters(client, ops) -> None:
    assert client.get(f"{API}/shifts/999999/cover-candidates", headers=ops).status_code == 404
    bad = client.get(f"{API}/shifts/1/cover-candidates?include=1", headers=ops)
    assert bad.status_code == 422
    for limit in ("0", "1001", "ten"):
        bad = client.get(f"{API}/shifts/1/cover-candidates?limit={limit}", headers=ops)
        assert bad.status_code == 422 and "limit" in bad.json["errors"], limit


# --- the property ---------------------------------------------------------------------------

PERSON = st.fixed_dictionaries(
    {
        "consent": st.booleans(),
        "opt_out": st.booleans(),
        "credential": st.sampled_from(["none", "verified", "expired", "pending"]),
        "status": st.sampled_from(["active", "active", "active", "suspended"]),
        "zone": st.sampled_from(["Africa/Nairobi", "America/New_York", "Asia/Manila"]),
        # other shifts: (hours before (-) or after (+) the candidate's start, length)
        "shifts": st.lists(st.tuples(st.integers(-60, 60), st.integers(1, 12)), max_size=4),
        # tier-3 minutes worked before the shift on its day, if any
        "exposure": st.sampled_from([0, 0, 30, 120, 200, 240]),
        # weekly availability in their zone, and approved time off on the shift's day
        "availability": st.sampled_from(["any", "every_hour", "mornings"]),
        "leave": st.booleans(),
    }
)
WINDOWS = {
    "any": [],
    "every_hour": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    "mornings": [{"weekday": d, "start": "06:00", "end": "12:00"} for d in range(7)],
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(PERSON, min_size=1, max_size=5),
    tier=st.sampled_from([0, 1, 3]),
    needs_rn=st.booleans(),
    hours=st.integers(1, 6),
)
def test_the_finder_agrees_with_eligibility_and_the_shift_rules(
    app, people: list[dict[str, Any]], tier: int, needs_rn: bool, hours: int
) -> None:
    start = dt.datetime(2027, 3, 10, 9, tzinfo=dt.UTC)
    with app.test_request_context():
        session = db.get_db(app).writer()
        try:  # each example in its own transaction, rolled back
            queue_id = make_queue(
                session,
                slug="prop",
                tier=tier,
                required_credentials=[{"kind": "license", "code": "RN"}] if needs_rn else [],
            )
            holder = make_contractor(session)
            shift_id = make_shift(session, holder, queue_id, start, hours=hours)
            token = make_token(session, "ingest", name="p").id
            events, suspended = [], []
            for n, person in enumerate(people):
                cid = make_contractor(session, timezone=person["zone"])
                if person["consent"]:
                    set_consent(session, cid, True)
                    session.get_one(Contractor, cid).sensitive_consent_at = dt.datetime(
                        2026, 1, 1, tzinfo=dt.UTC
                    )
                if person["opt_out"]:
                    set_opt_outs(session, cid, ["violence_gore"])
                if person["credential"] != "none":
                    expired = person["credential"] == "expired"
                    credential = submit_credential(
                        session,
                        cid,
                        {
                            "kind": "license",
                            "code": "RN",
                            "expires_on": dt.date(2027, 1, 1) if expired else None,
                        },
                    )
                    if person["credential"] != "pending":
                        decide(session, credential.id, "verify", None)
                for offset, length in person["shifts"]:
                    make_shift(
                        session, cid, queue_id, start + dt.timedelta(hours=offset), hours=length
                    )
                if person["exposure"]:
                    events.append(
                        {
                            "event_id": f"p{n}",
                            "contractor_id": cid,
                            "queue": "prop-gore",
                            "category": "violence_gore",
                            "started_at": (
                                start - dt.timedelta(minutes=5 + person["exposure"])
                            ).isoformat(),
                            "duration_seconds": person["exposure"] * 60,
                        }
                    )
                if person["status"] != "active":
                    suspended.append(cid)
                set_windows(session, cid, WINDOWS[person["availability"]])
                if person["leave"]:
                    day = start.astimezone(ZoneInfo(person["zone"])).date()
                    request = time_off.request_time_off(
                        session,
                        session.get_one(Contractor, cid),
                        {"starts_on": day, "ends_on": day, "kind": "vacation", "note": None},
                    )
                    time_off.approve(session, request.id, None)
            if events:
                make_queue(session, slug="prop-gore", tier=3)
                ingest(session, token, events, now=start)
            for cid in suspended:
                session.get_one(Contractor, cid).status = "suspended"
            session.flush()
            found = cover_candidates(session, shift_id)
            proposed = {c.contractor_id for c in found.candidates}
            shift = session.get_one(Shift, shift_id)
            queue = session.get_one(Queue, queue_id)
            accepted = set()
            for contractor in session.query(Contractor).where(Contractor.id != holder):
                try:
                    interval = Interval(shift.starts_at, shift.ends_at, shift.id)
                    enforce(session, contractor, queue, [interval], None)
                    exposure_budget(session, contractor, queue, shift)
                except Conflict as refused:
                    event(f"refused: {refused.code}")
                    continue
                accepted.add(contractor.id)
            # never proposes anyone the checks refuse, and leaves out nobody they accept
            assert proposed == accepted
            event(f"proposed {len(proposed)} of {len(people)}")
        finally:
            session.rollback()
            session.close()
