"""Shift offers (issue 22): drop and swap through the API, every rule re-checked for the
taker at approval, both calendars, notifications to both parties, the race of two takers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import post_queue
from tests.scheduling.conftest import API, iso, soon
from tests.scheduling.test_feed import events, feed_path, fetch
from tests.wellbeing.exposure_helpers import consent, event, ingest_now, ingest_token
from workforce import db
from workforce.notifications.models import Notification


def offer(client, headers, shift_id: int, **body: Any):
    return client.post(f"{API}/me/shifts/{shift_id}/offer", json=body, headers=headers)


def accept(client, headers, offer_id: int, **body: Any):
    return client.post(f"{API}/me/shift-offers/{offer_id}/accept", json=body, headers=headers)


def approve(client, ops, offer_id: int, **body: Any):
    return client.post(f"{API}/shift-offers/{offer_id}/approve", json=body, headers=ops)


def holder(client, ops, shift_id: int) -> int | None:
    return client.get(f"{API}/shifts/{shift_id}", headers=ops).json["contractor_id"]


def kinds(app, contractor_id: int) -> list[str]:
    with db.get_db(app).reader() as session:
        return sorted(
            session.scalars(
                select(Notification.kind).where(
                    Notification.contractor_id == contractor_id,
                    Notification.kind.like("shift_offer.%"),
                )
            )
        )


@pytest.fixture
def pair(client, ops, as_role, new_contractor, plan):
    """A giver with a shift in two days, a colleague, and their tokens."""
    giver, taker = new_contractor(), new_contractor()
    shift = plan(giver, soon(2), hours=6).json
    return {
        "giver": giver,
        "taker": taker,
        "shift": shift,
        "g": as_role("contractor", giver),
        "t": as_role("contractor", taker),
    }


def test_drop_offer_accept_approve_moves_the_shift_and_both_calendars(
    app, client, ops, pair
) -> None:
    shift = pair["shift"]
    uid = f"shift-{shift['id']}@workforce"
    giver_feed = feed_path(client, pair["g"])
    taker_feed = feed_path(client, pair["t"])

    made = offer(client, pair["g"], shift["id"], reason="family visit")
    assert made.status_code == 201, made.json
    assert made.json["status"] == "open" and made.json["shift_id"] == shift["id"]
    listed = client.get(f"{API}/me/shift-offers", headers=pair["t"]).json
    assert [o["id"] for o in listed["items"]] == [made.json["id"]]
    entry = listed["items"][0]["shift"]
    assert entry["timezone"] == "Africa/Nairobi" and entry["queue"] == "General labelling"
    assert entry["local_start"].endswith("+03:00")
    # the giver does not see their own offer
    assert client.get(f"{API}/me/shift-offers", headers=pair["g"]).json["items"] == []

    taken = accept(client, pair["t"], made.json["id"])
    assert taken.status_code == 200, taken.json
    assert taken.json["status"] == "accepted" and taken.json["taker_id"] == pair["taker"]
    # the giver keeps the shift until approval
    assert holder(client, ops, shift["id"]) == pair["giver"]

    done = approve(client, ops, made.json["id"], comment="fine")
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["decided_by"]) == ("approved", "ops")
    assert holder(client, ops, shift["id"]) == pair["taker"]
    old = events(fetch(client, giver_feed))[uid]
    assert (str(old["STATUS"]), int(old["SEQUENCE"])) == ("CANCELLED", 1)
    new = events(fetch(client, taker_feed))[uid]
    assert (str(new["STATUS"]), int(new["SEQUENCE"])) == ("CONFIRMED", 1)
    for person in (pair["giver"], pair["taker"]):
        assert kinds(app, person) == ["shift_offer.accepted", "shift_offer.approved"]
    actions = client.get(f"{API}/audit-events?target_type=shift_offer", headers=ops)
    if actions.status_code == 200:
        names = {e["action"] for e in actions.json["items"]}
        assert {"shift_offer.create", "shift_offer.accept", "shift_offer.approve"} <= names


def test_a_taker_who_became_ineligible_between_accept_and_approve_is_refused(
    app, client, ops, as_role, new_contractor, plan, pair
) -> None:
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    assert accept(client, pair["t"], made["id"]).status_code == 200
    # the taker is given an overlapping shift meanwhile
    start = dt.datetime.fromisoformat(pair["shift"]["starts_at"]) + dt.timedelta(hours=1)
    assert plan(pair["taker"], start, hours=2).status_code == 201
    refused = approve(client, ops, made["id"])
    assert refused.status_code == 409
    assert refused.json["code"] == "overlap"
    assert holder(client, ops, pair["shift"]["id"]) == pair["giver"]
    again = client.get(f"{API}/shift-offers?shift_id={pair['shift']['id']}", headers=ops).json
    assert again["items"][0]["status"] == "accepted"  # nothing was written
    rejected = client.post(
        f"{API}/shift-offers/{made['id']}/reject", json={"comment": "clash"}, headers=ops
    )
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert "shift_offer.rejected" in kinds(app, pair["taker"])
    assert "shift_offer.rejected" in kinds(app, pair["giver"])


def test_rest_and_weekly_hours_are_checked_at_approval(client, ops, pair, plan) -> None:
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    assert accept(client, pair["t"], made["id"]).status_code == 200
    end = dt.datetime.fromisoformat(pair["shift"]["ends_at"])
    assert plan(pair["taker"], end + dt.timedelta(hours=2), hours=4).status_code == 201
    refused = approve(client, ops, made["id"])
    assert (refused.status_code, refused.json["code"]) == (409, "rest_too_short")


def test_credentials_consent_and_opt_outs_are_checked_at_approval(
    client, ops, as_role, new_contractor
) -> None:
    gore = post_queue(
        client,
        ops,
        slug="medical-gore",
        tier=1,
        categories=["violence_gore"],
        required_credentials=[{"kind": "license", "code": "RN"}],
    )
    people = [new_contractor(), new_contractor()]
    heads = [as_role("contractor", p) for p in people]
    for person, head in zip(people, heads, strict=True):
        client.put(f"{API}/me/consent", json={"sensitive": True}, headers=head)
        cred = client.post(
            f"{API}/contractors/{person}/credentials",
            json={"kind": "license", "code": "RN"},
            headers=ops,
        ).json["id"]
        client.post(f"{API}/credentials/{cred}/verify", headers=ops)
    start = soon(2)
    shift = client.post(
        f"{API}/shifts",
        json={
            "contractor_id": people[0],
            "queue_id": gore["id"],
            "starts_at": iso(start),
            "ends_at": iso(start + dt.timedelta(hours=2)),
        },
        headers=ops,
    )
    assert shift.status_code == 201, shift.json
    made = offer(client, heads[0], shift.json["id"]).json
    assert accept(client, heads[1], made["id"]).status_code == 200
    # opted out after accepting
    client.put(f"{API}/me/opt-outs", json={"categories": ["violence_gore"]}, headers=heads[1])
    refused = approve(client, ops, made["id"])
    assert (refused.status_code, refused.json["code"]) == (409, "not_eligible")
    assert refused.json["reasons"] == ["opted_out:violence_gore"]
    client.put(f"{API}/me/opt-outs", json={"categories": []}, headers=heads[1])
    assert approve(client, ops, made["id"]).status_code == 200


def test_the_exposure_budget_is_projected_over_the_shift(
    app, client, ops, as_role, new_contractor
) -> None:
    queue_id = post_queue(client, ops, slug="gore", tier=3, categories=["violence_gore"])["id"]
    giver, taker = new_contractor(), new_contractor()
    for person in (giver, taker):
        consent(app, person)
    # tomorrow 05:00-07:00 UTC (08:00-10:00 in Nairobi)
    start = soon(1, hour=5)
    shift = client.post(
        f"{API}/shifts",
        json={
            "contractor_id": giver,
            "queue_id": queue_id,
            "starts_at": iso(start),
            "ends_at": iso(start + dt.timedelta(hours=3)),
        },
        headers=ops,
    )
    assert shift.status_code == 201, shift.json
    g = as_role("contractor", giver)
    made = offer(client, g, shift.json["id"]).json
    t = as_role("contractor", taker)
    assert [o["id"] for o in client.get(f"{API}/me/shift-offers", headers=t).json["items"]] == [
        made["id"]
    ]
    assert accept(client, t, made["id"]).status_code == 200
    # then 90 minutes of tier-3 work the same local day, before the shift: 90 + 180 > 240
    token = ingest_token(app)
    earlier = start - dt.timedelta(hours=2)
    ingest_now(app, token, [event("e1", taker, earlier, 90 * 60)], start)
    refused = approve(client, ops, made["id"])
    assert (refused.status_code, refused.json["code"]) == (409, "daily_limit")
    assert (refused.json["daily_cap_minutes"], refused.json["used_minutes"]) == (240, 90)
    assert holder(client, ops, shift.json["id"]) == giver
    # offered again: not listed for the taker, and refused at acceptance
    client.post(f"{API}/shift-offers/{made['id']}/reject", headers=ops)
    again = offer(client, g, shift.json["id"]).json
    assert client.get(f"{API}/me/shift-offers", headers=t).json["items"] == []
    refused = accept(client, t, again["id"])
    assert (refused.status_code, refused.json["code"]) == (409, "daily_limit")


def test_swap_is_all_or_nothing(app, client, ops, pair, plan) -> None:
    mine = plan(pair["taker"], soon(4), hours=6).json
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    taken = accept(client, pair["t"], made["id"], swap_shift_id=mine["id"])
    assert taken.status_code == 200, taken.json
    back_id = taken.json["swap_offer_id"]
    assert back_id is not None
    # the giver becomes unable to take the shift back: an overlapping shift
    start = dt.datetime.fromisoformat(mine["starts_at"])
    blocker = plan(pair["giver"], start + dt.timedelta(hours=3), hours=4)
    assert blocker.status_code == 201
    refused = approve(client, ops, back_id)
    assert (refused.status_code, refused.json["code"]) == (409, "overlap")
    # neither moved
    assert holder(client, ops, pair["shift"]["id"]) == pair["giver"]
    assert holder(client, ops, mine["id"]) == pair["taker"]
    assert client.post(f"{API}/shifts/{blocker.json['id']}/cancel", headers=ops).status_code == 200
    done = approve(client, ops, made["id"])
    assert done.status_code == 200, done.json
    assert holder(client, ops, pair["shift"]["id"]) == pair["taker"]
    assert holder(client, ops, mine["id"]) == pair["giver"]
    statuses = client.get(f"{API}/shift-offers?status=approved", headers=ops).json
    assert sorted(o["id"] for o in statuses["items"]) == sorted([made["id"], back_id])


def test_a_swap_of_overlapping_shifts_is_checked_as_if_both_moved(client, ops, pair, plan) -> None:
    """The taker gives away a shift overlapping the one they take: no overlap after."""
    start = dt.datetime.fromisoformat(pair["shift"]["starts_at"]) + dt.timedelta(hours=1)
    mine = plan(pair["taker"], start, hours=6).json
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    taken = accept(client, pair["t"], made["id"], swap_shift_id=mine["id"])
    assert taken.status_code == 200, taken.json
    assert approve(client, ops, made["id"]).status_code == 200


def test_two_takers_one_wins(client, ops, pair, new_contractor, as_role) -> None:
    third = new_contractor()
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    assert accept(client, pair["t"], made["id"]).status_code == 200
    late = accept(client, as_role("contractor", third), made["id"])
    assert (late.status_code, late.json["code"]) == (409, "offer_taken")


def test_offered_to_one_colleague_only(app, client, pair, new_contractor, as_role) -> None:
    third = new_contractor()
    made = offer(client, pair["g"], pair["shift"]["id"], to_contractor_id=pair["taker"]).json
    assert kinds(app, pair["taker"]) == ["shift_offer.offered"]
    other = as_role("contractor", third)
    assert client.get(f"{API}/me/shift-offers", headers=other).json["items"] == []
    assert accept(client, other, made["id"]).status_code == 404
    assert accept(client, pair["t"], made["id"]).status_code == 200


def test_bad_input_and_wrong_states(client, ops, pair, plan) -> None:
    shift_id = pair["shift"]["id"]
    # someone else's shift is a 404; a misspelt field and yourself are 422s naming the field
    assert offer(client, pair["t"], shift_id).status_code == 404
    bad = offer(client, pair["g"], shift_id, to_contractor_id=pair["giver"])
    assert bad.status_code == 422 and "to_contractor_id" in bad.json["errors"]
    bad = offer(client, pair["g"], shift_id, to=3)
    assert bad.status_code == 422 and "to" in bad.json["errors"]
    made = offer(client, pair["g"], shift_id).json
    again = offer(client, pair["g"], shift_id)
    assert (again.status_code, again.json["code"]) == (409, "offer_exists")
    own = accept(client, pair["g"], made["id"])
    assert (own.status_code, own.json["code"]) == (409, "own_offer")
    not_mine = accept(client, pair["t"], made["id"], swap_shift_id=shift_id)
    assert not_mine.status_code == 422 and "swap_shift_id" in not_mine.json["errors"]
    early = approve(client, ops, made["id"])
    assert (early.status_code, early.json["code"]) == (409, "offer_not_accepted")
    assert client.post(f"{API}/shift-offers/999999/approve", headers=ops).status_code == 404
    gone = client.post(f"{API}/me/shift-offers/{made['id']}/withdraw", headers=pair["g"])
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    twice = client.post(f"{API}/me/shift-offers/{made['id']}/withdraw", headers=pair["g"])
    assert (twice.status_code, twice.json["code"]) == (409, "offer_not_live")
    # the taker cannot withdraw the giver's offer
    fresh = offer(client, pair["g"], shift_id).json
    assert (
        client.post(f"{API}/me/shift-offers/{fresh['id']}/withdraw", headers=pair["t"]).status_code
        == 404
    )
    # roles
    assert client.get(f"{API}/shift-offers", headers=pair["t"]).status_code == 403
    assert client.get(f"{API}/me/shift-offers", headers=ops).status_code == 403


def test_auto_approve_policy_moves_at_acceptance(app, client, ops, pair) -> None:
    app.config["SHIFT_OFFERS_AUTO_APPROVE"] = True
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    taken = accept(client, pair["t"], made["id"])
    assert taken.status_code == 200, taken.json
    assert (taken.json["status"], taken.json["decided_by"]) == ("approved", "policy")
    assert holder(client, ops, pair["shift"]["id"]) == pair["taker"]


def test_concurrent_takers_one_wins(app, client, pair, new_contractor, as_role) -> None:
    """Threads, each with its own client and connection, accept at the same moment: the
    same offer (conditional update), or offers of the same shift sent to several people
    (the unique partial index on accepted offers); exactly one is accepted."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from workforce.scheduling.models import ShiftOffer

    takers = [new_contractor() for _ in range(4)]
    tokens = [as_role("contractor", t) for t in takers]
    shared = offer(client, pair["g"], pair["shift"]["id"]).json
    barrier = threading.Barrier(len(tokens))

    def take(headers: dict[str, str]) -> tuple[int, str]:
        mine = app.test_client()
        barrier.wait()
        response = mine.post(f"{API}/me/shift-offers/{shared['id']}/accept", headers=headers)
        return response.status_code, (response.json or {}).get("code", "")

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        results = list(pool.map(take, tokens))
    assert sorted(s for s, _ in results) == [200] + [409] * (len(tokens) - 1)
    assert {c for s, c in results if s == 409} == {"offer_taken"}
    with db.get_db(app).reader() as session:
        accepted = session.scalars(select(ShiftOffer).where(ShiftOffer.status == "accepted")).all()
    assert len(accepted) == 1 and accepted[0].taker_id in takers


def test_weekly_hours_are_checked_at_approval(app, client, ops, pair) -> None:
    made = offer(client, pair["g"], pair["shift"]["id"]).json
    assert accept(client, pair["t"], made["id"]).status_code == 200
    # the country's weekly limit falls below the 6-hour shift before ops approve
    app.config["SHIFT_LIMITS"] = {"KE": {"weekly_hours": 5}}
    refused = approve(client, ops, made["id"])
    assert (refused.status_code, refused.json["code"]) == (409, "weekly_hours_exceeded")
    assert holder(client, ops, pair["shift"]["id"]) == pair["giver"]


def test_my_offers_follow_the_locale_parameter(client, pair) -> None:
    """``?locale=`` (issue 23): the offered shift's display strings in that language."""
    assert offer(client, pair["g"], pair["shift"]["id"]).status_code == 201

    def text(query: str) -> str:
        answer = client.get(f"{API}/me/shift-offers{query}", headers=pair["t"])
        assert answer.status_code == 200, answer.json
        return answer.json["items"][0]["shift"]["display"]["date"]

    assert text("?locale=sw_KE") != text("?locale=es_ES")
    assert text("") == text("?locale=sw_KE")  # the contractor's own (a Kenyan's default)
    bad = client.get(f"{API}/me/shift-offers?locale=xx_bogus", headers=pair["t"])
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["locale"]
