"""Stepping off sensitive work: a contractor's own request and a counsellor's wellbeing
rotation. Both take effect at once through the rotation engine; ops see reason and dates,
never the private note; tier 0-1 work and pay are untouched."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from tests.factories import make_queue
from workforce import db
from workforce.audit import AuditEvent
from workforce.notifications.models import Notification
from workforce.rotations.models import Rotation

API = "/api/v1"


def eligibility(client, headers, contractor_id: int, queue: str) -> dict:
    response = client.get(
        f"{API}/contractors/{contractor_id}/eligibility?queue={queue}", headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def queues(app) -> None:
    make_queue(app, slug="gore-review", tier=2)
    make_queue(app, slug="spam-review", tier=0)


def consenting(client, person):
    who = person()
    response = client.put(f"{API}/me/consent", json={"sensitive": True}, headers=who.headers)
    assert response.status_code == 200, response.json
    return who


def test_a_self_requested_rotation_takes_effect_at_once(client, person, ops, queues) -> None:
    who = consenting(client, person)
    assert eligibility(client, ops, who.id, "gore-review")["eligible"] is True

    response = client.post(
        f"{API}/me/rotation-request",
        json={"days": 3, "reason": "a hard week at home"},
        headers=who.headers,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["reason"], body["status"], body["note"]) == (
        "self_requested",
        "active",
        "a hard week at home",
    )
    started = dt.datetime.fromisoformat(body["started_at"])
    ends = dt.datetime.fromisoformat(body["ends_at"])
    assert ends - started == dt.timedelta(days=3)
    assert abs(started - db.utcnow()) < dt.timedelta(minutes=1)

    gore = eligibility(client, ops, who.id, "gore-review")
    assert gore["eligible"] is False
    assert gore["reasons"] == ["rotation_active"]
    # Ordinary work is untouched.
    spam = eligibility(client, ops, who.id, "spam-review")
    assert spam["eligible"] is True and spam["reasons"] == []


def test_the_contractors_reason_stays_out_of_what_ops_read(app, client, person, queues) -> None:
    who = consenting(client, person)
    client.post(
        f"{API}/me/rotation-request",
        json={"days": 2, "reason": "panic attacks again"},
        headers=who.headers,
    )
    with db.transaction(app) as session:
        rotation = session.scalars(select(Rotation)).one()
        assert rotation.reason == "self_requested"
        assert rotation.explanation == {"rule": "self_requested", "days": 2}
        rows = session.scalars(select(AuditEvent)).all()
        notices = session.scalars(select(Notification)).all()
    text = json.dumps([r.summary for r in rows] + [n.payload for n in notices])
    assert "panic" not in text
    start = next(r for r in rows if r.action == "rotation.start")
    assert start.summary["reason"] == "self_requested"
    assert set(start.summary) == {"contractor_id", "reason", "started_at", "ends_at"}
    # (the contractor's token made by the fixture told them so: account.token_created)
    assert [n.kind for n in notices if n.kind != "account.token_created"] == ["rotation.started"]


@pytest.mark.parametrize("days", [0, 15, -1, 1.5, "3", None])
def test_the_period_is_bounded_by_policy(client, person, days) -> None:
    response = client.post(
        f"{API}/me/rotation-request", json={"days": days}, headers=person().headers
    )
    assert response.status_code == 422
    assert "days" in response.json["errors"]


def test_the_reason_is_optional_and_limits_are_inclusive(client, person) -> None:
    for days in (1, 14):
        who = person()
        response = client.post(
            f"{API}/me/rotation-request", json={"days": days}, headers=who.headers
        )
        assert response.status_code == 201, response.json
        assert response.json["note"] is None


def test_asking_again_within_an_active_rotation_is_a_conflict_unless_longer(client, person) -> None:
    who = person()
    first = client.post(f"{API}/me/rotation-request", json={"days": 5}, headers=who.headers)
    assert first.status_code == 201
    again = client.post(f"{API}/me/rotation-request", json={"days": 4}, headers=who.headers)
    assert again.status_code == 409
    assert again.json["code"] == "rotation_active"
    longer = client.post(f"{API}/me/rotation-request", json={"days": 10}, headers=who.headers)
    assert longer.status_code == 201


def test_a_counsellor_places_a_wellbeing_rotation_with_private_details(
    app, client, person, counsellor, ops, queues
) -> None:
    who = consenting(client, person)
    response = client.post(
        f"{API}/wellbeing-rotations",
        json={"contractor_id": who.id, "days": 7, "details": "PCL-5 high; agreed a week off"},
        headers=counsellor,
    )
    assert response.status_code == 201, response.json
    assert response.json["reason"] == "wellbeing"
    assert response.json["note"] == "PCL-5 high; agreed a week off"
    assert eligibility(client, ops, who.id, "gore-review")["reasons"] == ["rotation_active"]
    assert eligibility(client, ops, who.id, "spam-review")["eligible"] is True

    with db.transaction(app) as session:
        rotation = session.scalars(select(Rotation)).one()
        assert rotation.reason == "wellbeing"
        assert "PCL" not in json.dumps(rotation.explanation)
        summaries = json.dumps([r.summary for r in session.scalars(select(AuditEvent))])
    assert "PCL" not in summaries and "agreed" not in summaries

    listed = client.get(f"{API}/wellbeing-rotations?active=true", headers=counsellor).json
    assert [r["note"] for r in listed["items"]] == ["PCL-5 high; agreed a week off"]


def test_ends_at_instead_of_days(client, person, counsellor) -> None:
    who = person()
    ends = (db.utcnow() + dt.timedelta(days=10)).replace(microsecond=0)
    response = client.post(
        f"{API}/wellbeing-rotations",
        json={"contractor_id": who.id, "ends_at": ends.isoformat()},
        headers=counsellor,
    )
    assert response.status_code == 201, response.json
    assert dt.datetime.fromisoformat(response.json["ends_at"]) == ends


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "days"),
        ({"days": 3, "ends_at": "2099-01-01T00:00:00Z"}, "days"),
        ({"days": 29}, "days"),
        ({"ends_at": "2001-01-01T00:00:00Z"}, "ends_at"),
        ({"ends_at": "2099-01-01T00:00:00Z"}, "ends_at"),
        ({"ends_at": "2099-01-01T00:00:00"}, "ends_at"),
    ],
)
def test_a_wellbeing_rotation_needs_one_sensible_end(
    client, person, counsellor, extra, field
) -> None:
    response = client.post(
        f"{API}/wellbeing-rotations",
        json={"contractor_id": person().id, **extra},
        headers=counsellor,
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_an_unknown_contractor_is_named(client, counsellor) -> None:
    response = client.post(
        f"{API}/wellbeing-rotations", json={"contractor_id": 4242, "days": 2}, headers=counsellor
    )
    assert response.status_code == 422
    assert "contractor_id" in response.json["errors"]
