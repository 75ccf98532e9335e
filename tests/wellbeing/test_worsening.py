"""Worsening wellbeing reaches a counsellor (issue 25): a WHO-5 percentage that falls by 10
points or more since the contractor's previous WHO-5 check-in opens a non-urgent referral,
with its reason for counsellors only; once per contractor and day; nothing for ops."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from workforce import db
from workforce.audit import AuditEvent
from workforce.notifications.models import Notification
from workforce.rotations.models import Rotation
from workforce.wellbeing.instruments import WHO5
from workforce.wellbeing.models import CheckIn, Referral

API = "/api/v1"

#: WHO-5 sheets by percentage (raw x 4), all in the "adequate" band (never flagged).
WHO5_100, WHO5_80, WHO5_72, WHO5_60 = [5] * 5, [4] * 5, [4, 4, 4, 3, 3], [3] * 5
WHO5_52 = [3, 3, 3, 3, 1]

who5_sheets = st.lists(st.integers(0, 5), min_size=5, max_size=5)


def backdate(app, contractor_id: int, days: int) -> None:
    """Move every check-in of the contractor ``days`` earlier, as if made then (and the day
    of their worsening referrals with them)."""
    with db.transaction(app) as session:
        for check_in in session.scalars(
            select(CheckIn).where(CheckIn.contractor_id == contractor_id)
        ):
            check_in.created_at -= dt.timedelta(days=days)
        for referral in session.scalars(
            select(Referral).where(Referral.contractor_id == contractor_id)
        ):
            if referral.drop_key is not None:
                kind, day = referral.drop_key.split(":")
                earlier = dt.date.fromisoformat(day) - dt.timedelta(days=days)
                referral.drop_key = f"{kind}:{earlier.isoformat()}"


def referrals_of(client, counsellor, contractor_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/referrals?contractor_id={contractor_id}", headers=counsellor)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_the_threshold_is_data_with_its_source(client, as_role) -> None:
    assert WHO5.relevant_drop == 10
    assert "Topp" in (WHO5.relevant_drop_source or "")
    body = client.get(f"{API}/instruments", headers=as_role("admin")).json
    served = {i["key"]: i for i in body["items"]}
    assert served["who5"]["relevant_drop"] == 10
    assert "Psychother Psychosom. 2015;84(3):167-176" in served["who5"]["relevant_drop_source"]
    assert {served[k]["relevant_drop"] for k in ("phq9", "gad7", "pcl5")} == {None}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=who5_sheets, second=who5_sheets)
def test_a_referral_exactly_when_the_percentage_drops_by_10_or_more(
    client, person, check_in, counsellor, first, second
) -> None:
    who = person()
    before = check_in(who, "who5", first)
    after = check_in(who, "who5", second)
    drop = before["score"] - after["score"]
    assert drop == 4 * (sum(first) - sum(second))

    referrals = referrals_of(client, counsellor, who.id)
    worsening = [r for r in referrals if r["worsening"] is not None]
    if drop >= 10:
        assert len(worsening) == 1
        (referral,) = worsening
        assert referral["check_in"]["id"] == after["id"]
        assert after["referral"] == {"id": referral["id"], "status": "open"}
        assert referral["urgent"] is False
        why = referral["worsening"]
        assert (why["previous_score"], why["new_score"], why["drop"], why["threshold"]) == (
            before["score"],
            after["score"],
            drop,
            10,
        )
        assert why["previous_check_in_id"] == before["id"]
    else:
        assert worsening == []
    # A flagged screen still opens its own referral: one per check-in, whatever opened it.
    expected = int(before["flagged"]) + int(after["flagged"] or drop >= 10)
    assert len(referrals) == expected
    assert (after["referral"] is not None) is (after["flagged"] or drop >= 10)


def test_no_referral_on_the_first_check_in_or_across_instruments(
    client, person, check_in, counsellor
) -> None:
    who = person()
    assert check_in(who, "who5", WHO5_100)["referral"] is None  # first: nothing to compare
    # A PHQ-9 in between is another instrument: not compared with the WHO-5 before it.
    assert check_in(who, "phq9", [0] * 9)["referral"] is None
    # The WHO-5 after it is compared with the previous WHO-5 (100 -> 96: not relevant).
    assert check_in(who, "who5", [5, 5, 5, 5, 4])["referral"] is None
    assert referrals_of(client, counsellor, who.id) == []
    # Another contractor's higher score is not this one's previous check-in.
    other = person()
    check_in(other, "who5", WHO5_100)
    assert check_in(person(), "who5", WHO5_60)["referral"] is None


def test_each_fall_is_measured_from_the_check_in_just_before(person, check_in) -> None:
    # Percentages move in steps of 4: a fall of 8 is not relevant, 12 is.
    who = person()
    check_in(who, "who5", [5, 5, 5, 5, 5])  # 100
    assert check_in(who, "who5", [5, 5, 4, 4, 5])["referral"] is None  # 92: -8
    assert check_in(who, "who5", [4, 4, 4, 5, 4])["referral"] is None  # 84: -8 (-16 from 100)
    assert check_in(who, "who5", [4, 4, 3, 3, 4])["referral"] is not None  # 72: -12


def test_the_reason_names_previous_and_new_score_and_dates(
    app, client, person, check_in, counsellor
) -> None:
    who = person(timezone="Africa/Nairobi")
    first = check_in(who, "who5", WHO5_80)
    backdate(app, who.id, 14)
    second = check_in(who, "who5", WHO5_60)
    (referral,) = referrals_of(client, counsellor, who.id)
    why = referral["worsening"]
    with db.transaction(app) as session:
        earlier = session.get(CheckIn, first["id"]).created_at
        later = session.get(CheckIn, second["id"]).created_at
    nairobi = dt.timezone(dt.timedelta(hours=3))
    assert why["previous_date"] == earlier.astimezone(nairobi).date().isoformat()
    assert why["new_date"] == later.astimezone(nairobi).date().isoformat()
    assert why["previous_date"] != why["new_date"]
    assert dt.datetime.fromisoformat(why["previous_at"]) == earlier
    assert why["text"] == (
        f"WHO-5 fell by 20 points, from 80 on {why['previous_date']} to 60 on "
        f"{why['new_date']} (the contractor's dates); a fall of 10 or more is clinically "
        "relevant."
    )
    assert "Topp" in why["source"]
    # The detail view says the same; the contractor sees the referral, not the reason.
    detail = client.get(f"{API}/referrals/{referral['id']}", headers=counsellor).json
    assert detail["worsening"] == why
    mine = client.get(f"{API}/me/checkins", headers=who.headers).json["items"][0]
    assert mine["referral"] == {"id": referral["id"], "status": "open"}
    own = client.get(f"{API}/checkins/{second['id']}", headers=who.headers).json
    assert "worsening" not in own["referral"]


def test_one_referral_per_drop_and_day(app, client, person, check_in, counsellor) -> None:
    who = person()
    check_in(who, "who5", WHO5_100)
    assert check_in(who, "who5", WHO5_80)["referral"] is not None  # 100 -> 80
    # A second fall on the same day (80 -> 60) opens no second referral...
    assert check_in(who, "who5", WHO5_60)["referral"] is None
    # ...nor does the same sheet sent again.
    assert check_in(who, "who5", WHO5_60)["referral"] is None
    assert len(referrals_of(client, counsellor, who.id)) == 1
    # A fall on a later day is a new drop.
    backdate(app, who.id, 1)
    check_in(who, "who5", WHO5_100)
    assert check_in(who, "who5", WHO5_72)["referral"] is not None  # 100 -> 72
    assert len(referrals_of(client, counsellor, who.id)) == 2
    with db.transaction(app) as session:
        keys = session.scalars(select(Referral.drop_key).order_by(Referral.id)).all()
    assert len(set(keys)) == 2 and all(k.startswith("who5_drop:") for k in keys)


def test_a_flagged_drop_opens_one_referral_with_its_reason(
    client, person, check_in, counsellor
) -> None:
    who = person()
    check_in(who, "who5", WHO5_80)
    low = check_in(who, "who5", [1, 1, 1, 1, 1])  # 20: flagged and a fall of 60
    assert low["flagged"] and low["referral"] is not None
    (referral,) = referrals_of(client, counsellor, who.id)
    assert referral["worsening"]["drop"] == 60
    # Later the same day, flagged again: the screen's referral, without a second drop.
    again = check_in(who, "who5", [0, 0, 0, 0, 0])
    assert again["referral"] is not None
    reasons = [r["worsening"] for r in referrals_of(client, counsellor, who.id)]
    assert sorted(r is None for r in reasons) == [False, True]


def test_ops_learn_nothing_and_nobody_is_rotated(
    app, client, person, check_in, counsellor, as_role
) -> None:
    who = person()
    check_in(who, "who5", WHO5_100)
    after = check_in(who, "who5", WHO5_60)
    assert after["referral"] is not None and not after["flagged"]

    # The counsellors' inbox has the referral; ops' inbox has nothing.
    for_counsellors = client.get(f"{API}/notifications", headers=counsellor).json["items"]
    assert [n["kind"] for n in for_counsellors] == ["referral.opened"]
    assert for_counsellors[0]["payload"] == {
        "referral_id": after["referral"]["id"],
        "urgent": False,
    }
    ops = client.get(f"{API}/notifications", headers=as_role("ops"))
    assert ops.status_code == 200 and ops.json["items"] == []
    with db.transaction(app) as session:
        audiences = set(session.scalars(select(Notification.audience)))
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        summaries = [(e.action, e.summary) for e in events if e.target_type == "check_in"]
        rotations = session.scalars(select(Rotation)).all()
    assert audiences <= {"wellbeing", "contractor"}
    # The audit log: one event per check-in naming the contractor, no score, no referral.
    assert summaries == [("checkin.create", {"contractor_id": who.id})] * 2
    admin = client.get(f"{API}/audit-events?page_size=500", headers=as_role("admin")).json
    text = str(admin)
    assert "worsening" not in text and "referral" not in text and "who5" not in text
    assert rotations == []
