"""Counsellors' referrals and follow-ups: urgent first, a follow-up records contact, outcome
and next date, closing is explicit, and the audit log never carries the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.wellbeing.conftest import CALM_PHQ9, ITEM9_PHQ9, LOW_WHO5, MODERATE_PHQ9
from workforce import db
from workforce.audit import AuditEvent
from workforce.wellbeing.models import WellbeingAccess

API = "/api/v1"


def follow_up(client, headers, referral_id: int, **body):
    return client.post(f"{API}/referrals/{referral_id}/follow-ups", json=body, headers=headers)


def test_referrals_are_listed_urgent_first_then_open(client, person, check_in, counsellor) -> None:
    a, b = person(), person()
    check_in(a, "phq9", CALM_PHQ9)  # not flagged: no referral
    moderate = check_in(a, "phq9", MODERATE_PHQ9)["referral"]["id"]
    urgent = check_in(b, "phq9", ITEM9_PHQ9)["referral"]["id"]
    low = check_in(b, "who5", LOW_WHO5)["referral"]["id"]
    closed = follow_up(client, counsellor, low, contacted=True, outcome="fine now", close=True)
    assert closed.status_code == 201

    body = client.get(f"{API}/referrals", headers=counsellor).json
    assert [r["id"] for r in body["items"]] == [urgent, moderate, low]
    assert [r["status"] for r in body["items"]] == ["open", "open", "closed"]
    assert body["items"][0]["check_in"]["answers"] == ITEM9_PHQ9
    open_only = client.get(f"{API}/referrals?status=open", headers=counsellor).json
    assert [r["id"] for r in open_only["items"]] == [urgent, moderate]
    for_a = client.get(f"{API}/referrals?contractor_id={a.id}", headers=counsellor).json
    assert [r["id"] for r in for_a["items"]] == [moderate]


def test_a_follow_up_records_contact_outcome_and_next_date(
    app, client, person, check_in, counsellor
) -> None:
    who = person()
    referral = check_in(who, "phq9", MODERATE_PHQ9)["referral"]["id"]
    next_date = (db.utcnow() + dt.timedelta(days=7)).date().isoformat()
    missed = follow_up(
        client, counsellor, referral, contacted=False, outcome="no answer; left a message"
    )
    assert missed.status_code == 201, missed.json
    assert missed.json["contacted_at"] is None
    reached = follow_up(
        client,
        counsellor,
        referral,
        contacted=True,
        outcome="spoke for 30 minutes; sleeping badly",
        next_date=next_date,
    )
    assert reached.status_code == 201, reached.json
    assert reached.json["contacted_at"] is not None
    assert reached.json["next_date"] == next_date
    assert reached.json["contractor_id"] == who.id

    detail = client.get(f"{API}/referrals/{referral}", headers=counsellor).json
    assert detail["status"] == "open"
    assert [f["contacted"] for f in detail["follow_ups"]] == [False, True]

    with db.transaction(app) as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "wellbeing.follow_up")
        ).all()
        logged = session.scalars(
            select(WellbeingAccess).where(WellbeingAccess.action == "follow_up")
        ).all()
    # The shared log: nothing (even the follow-up's id and time would reveal a referral).
    ids = [missed.json["id"], reached.json["id"]]
    assert rows == []
    # The counsellor-only access log says whose.
    assert [(r.contractor_id, r.object_id) for r in logged] == [(who.id, i) for i in ids]


def test_closing_is_explicit_and_final(client, person, check_in, counsellor) -> None:
    referral = check_in(person(), "gad7", [3] * 7)["referral"]["id"]
    done = follow_up(client, counsellor, referral, contacted=True, outcome="ok", close=True)
    assert done.status_code == 201
    detail = client.get(f"{API}/referrals/{referral}", headers=counsellor).json
    assert detail["status"] == "closed" and detail["closed_at"] is not None
    again = follow_up(client, counsellor, referral, contacted=True, outcome="again")
    assert again.status_code == 409
    assert again.json["code"] == "referral_closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"contacted": False, "outcome": "x", "contacted_at": "2026-01-01T10:00:00Z"},
            "contacted_at",
        ),
        (
            {"contacted": True, "outcome": "x", "contacted_at": "2999-01-01T10:00:00Z"},
            "contacted_at",
        ),
        (
            {"contacted": True, "outcome": "x", "contacted_at": "2026-01-01T10:00:00"},
            "contacted_at",
        ),
        ({"contacted": True, "outcome": "x", "next_date": "2001-01-01"}, "next_date"),
        ({"contacted": True, "outcome": ""}, "outcome"),
        ({"contacted": "yes", "outcome": "x"}, "contacted"),
        ({"outcome": "x"}, "contacted"),
        ({"contacted": True, "outcome": "x", "score": 3}, "score"),
    ],
)
def test_bad_follow_ups_are_named(client, person, check_in, counsellor, body, field) -> None:
    referral = check_in(person(), "phq9", MODERATE_PHQ9)["referral"]["id"]
    response = follow_up(client, counsellor, referral, **body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_an_unknown_referral_is_404(client, counsellor) -> None:
    assert client.get(f"{API}/referrals/777", headers=counsellor).status_code == 404
    response = follow_up(client, counsellor, 777, contacted=True, outcome="x")
    assert response.status_code == 404
