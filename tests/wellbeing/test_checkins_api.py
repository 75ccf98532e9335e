"""Check-ins through the API: scoring as the manuals say, bad input named by item, the trend,
referrals for counsellors (and nothing else), urgent first, and logged counsellor reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from tests.wellbeing.conftest import (
    CALM_PHQ9,
    ITEM9_PHQ9,
    LOW_WHO5,
    MODERATE_PHQ9,
)
from tests.wellbeing.test_screening import expected_band, expected_flag, valid_answers
from workforce import db
from workforce.audit import AuditEvent
from workforce.notifications.models import Notification
from workforce.rotations.models import Rotation
from workforce.wellbeing.models import CheckIn, Referral, WellbeingAccess

API = "/api/v1"


# --- scoring through the API ------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=valid_answers())
def test_any_valid_sheet_is_scored_by_the_published_tables(client, person, case) -> None:
    key, answers = case
    who = person()
    response = client.post(
        f"{API}/me/checkins", json={"instrument": key, "answers": answers}, headers=who.headers
    )
    assert response.status_code == 201, response.json
    body = response.json
    multiplier = 4 if key == "who5" else 1
    assert body["raw_score"] == sum(answers)
    assert body["score"] == sum(answers) * multiplier
    assert body["band"] == expected_band(key, body["score"])
    assert body["flagged"] is expected_flag(key, answers)
    assert body["answers"] == answers
    assert body["contractor_id"] == who.id


def test_who5_answers_with_the_percentage_and_the_raw_sum(person, check_in) -> None:
    body = check_in(person(), "who5", [3, 3, 3, 3, 1])
    assert (body["score"], body["raw_score"], body["band"], body["flagged"]) == (
        52,
        13,
        "adequate",
        False,
    )
    assert body["referral"] is None


def test_phq9_item_9_is_flagged_urgent_whatever_the_total(person, check_in) -> None:
    body = check_in(person(), "phq9", ITEM9_PHQ9)
    assert (body["score"], body["band"], body["flagged"], body["urgent"]) == (
        1,
        "minimal",
        True,
        True,
    )
    assert body["referral"]["status"] == "open"


def test_pcl5_cutoff_comes_from_the_configuration(app, client, person) -> None:
    who = person()
    answers = [2] * 15 + [1] * 1 + [0] * 4  # 31
    first = client.post(
        f"{API}/me/checkins", json={"instrument": "pcl5", "answers": answers}, headers=who.headers
    )
    assert (first.json["score"], first.json["band"]) == (31, "below_cutoff")
    app.config["PCL5_CUTOFF"] = 31
    second = client.post(
        f"{API}/me/checkins", json={"instrument": "pcl5", "answers": answers}, headers=who.headers
    )
    assert (second.json["band"], second.json["flagged"]) == ("probable_ptsd", True)
    instruments = client.get(f"{API}/instruments", headers=who.headers).json["items"]
    pcl5 = next(i for i in instruments if i["key"] == "pcl5")
    assert pcl5["bands"][-1] == {"name": "probable_ptsd", "low": 31, "high": 80}


def test_instruments_are_published_with_items_and_attribution(client, as_role) -> None:
    body = client.get(f"{API}/instruments", headers=as_role("ops")).json
    assert body["total"] == 4
    by_key = {i["key"]: i for i in body["items"]}
    assert set(by_key) == {"who5", "phq9", "gad7", "pcl5"}
    assert [len(by_key[k]["items"]) for k in ("who5", "phq9", "gad7", "pcl5")] == [5, 9, 7, 20]
    assert "Kroenke" in by_key["phq9"]["attribution"]
    assert by_key["who5"]["score_max"] == 100
    assert by_key["phq9"]["answer_labels"][0] == "Not at all"


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instrument": "phq9", "answers": [0] * 8}, "answers"),
        ({"instrument": "phq9", "answers": [0] * 10}, "answers"),
        ({"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]}, "answers.3"),
        ({"instrument": "who5", "answers": [0, 0, 0, 0, -1]}, "answers.4"),
        ({"instrument": "gad7", "answers": [0, 0, "1", 0, 0, 0, 0]}, "answers.2"),
        ({"instrument": "gad7", "answers": [0, 1.5, 0, 0, 0, 0, 0]}, "answers.1"),
        ({"instrument": "gad7", "answers": [True, 0, 0, 0, 0, 0, 0]}, "answers.0"),
        ({"instrument": "pcl5", "answers": [5] + [0] * 19}, "answers.0"),
        ({"instrument": "phq-9", "answers": [0] * 9}, "instrument"),
        ({"instrument": "bdi", "answers": [0] * 21}, "instrument"),
        ({"answers": [0] * 9}, "instrument"),
        ({"instrument": "phq9"}, "answers"),
        ({"instrument": "phq9", "answers": "000000000"}, "answers"),
        ({"instrument": "phq9", "answers": [0] * 9, "score": 0}, "score"),
    ],
)
def test_bad_answers_are_a_422_naming_the_item(client, person, body, field) -> None:
    who = person()
    response = client.post(f"{API}/me/checkins", json=body, headers=who.headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert response.content_type == "application/problem+json"
    with db.transaction(client.application) as session:
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_wrong_number_of_answers_says_how_many(client, person) -> None:
    response = client.post(
        f"{API}/me/checkins",
        json={"instrument": "gad7", "answers": [0] * 6},
        headers=person().headers,
    )
    assert response.json["errors"] == {"answers": ["GAD-7 has 7 items; got 6"]}


# --- my check-ins and the trend ---------------------------------------------------------------


def test_my_check_ins_newest_first_with_a_trend_per_instrument(client, person, check_in) -> None:
    who, other = person(), person()
    check_in(who, "phq9", MODERATE_PHQ9)
    check_in(who, "phq9", CALM_PHQ9)
    check_in(who, "who5", LOW_WHO5)
    check_in(other, "phq9", ITEM9_PHQ9)

    body = client.get(f"{API}/me/checkins", headers=who.headers).json
    assert body["total"] == 3
    assert [c["instrument"] for c in body["items"]] == ["who5", "phq9", "phq9"]
    assert {c["contractor_id"] for c in body["items"]} == {who.id}
    trend = {t["instrument"]: t for t in body["trend"]}
    assert set(trend) == {"phq9", "who5"}
    assert [p["score"] for p in trend["phq9"]["points"]] == [10, 2]
    assert trend["phq9"]["change"] == -8
    assert trend["phq9"]["higher_is_better"] is False
    assert trend["who5"]["change"] is None
    assert trend["who5"]["higher_is_better"] is True

    only = client.get(f"{API}/me/checkins?instrument=who5", headers=who.headers).json
    assert only["total"] == 1
    assert [t["instrument"] for t in only["trend"]] == ["who5"]


def test_a_contractor_reads_their_own_check_in_but_not_another(client, person, check_in) -> None:
    who, other = person(), person()
    mine = check_in(who, "gad7", [1] * 7)
    theirs = check_in(other, "gad7", [3] * 7)
    assert client.get(f"{API}/checkins/{mine['id']}", headers=who.headers).json["score"] == 7
    response = client.get(f"{API}/checkins/{theirs['id']}", headers=who.headers)
    assert response.status_code == 404
    # The answer names neither the other contractor nor anything of theirs.
    assert str(other.id) not in response.json["detail"].replace(str(theirs["id"]), "")
    assert client.get(f"{API}/checkins/999999", headers=who.headers).status_code == 404


# --- referrals, never a rotation -------------------------------------------------------------


def test_a_flagged_check_in_opens_a_referral_and_rotates_nobody(
    app, client, person, check_in
) -> None:
    who = person()
    check_in(who, "phq9", CALM_PHQ9)
    flagged = check_in(who, "phq9", MODERATE_PHQ9)
    with db.transaction(app) as session:
        referrals = session.scalars(select(Referral)).all()
        assert [(r.check_in_id, r.status, r.urgent) for r in referrals] == [
            (flagged["id"], "open", False)
        ]
        assert session.scalar(select(func.count()).select_from(Rotation)) == 0
        notice = session.scalars(
            select(Notification).where(Notification.kind == "referral.opened")
        ).one()
        assert notice.audience == "wellbeing"
        assert "score" not in notice.payload and "band" not in notice.payload


def test_counsellors_see_flagged_check_ins_urgent_first(
    client, person, check_in, counsellor
) -> None:
    a, b = person(), person()
    check_in(a, "phq9", CALM_PHQ9)
    urgent = check_in(a, "phq9", ITEM9_PHQ9)
    moderate = check_in(b, "phq9", MODERATE_PHQ9)
    low_who5 = check_in(b, "who5", LOW_WHO5)

    body = client.get(f"{API}/checkins?flagged=true", headers=counsellor).json
    assert [c["id"] for c in body["items"]] == [urgent["id"], low_who5["id"], moderate["id"]]
    assert body["items"][0]["urgent"] is True
    assert all(c["referral"]["status"] == "open" for c in body["items"])
    assert body["items"][0]["answers"] == ITEM9_PHQ9

    everyone = client.get(f"{API}/checkins", headers=counsellor).json
    assert everyone["total"] == 4
    by_b = client.get(f"{API}/checkins?contractor_id={b.id}&flagged=true", headers=counsellor)
    assert [c["id"] for c in by_b.json["items"]] == [low_who5["id"], moderate["id"]]


# --- audited reads ------------------------------------------------------------------------------


def audit_rows(app, action: str | None = None) -> list[AuditEvent]:
    with db.transaction(app) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(session.scalars(stmt))


def assert_no_values(rows: list[AuditEvent], *secrets: object) -> None:
    for row in rows:
        text = json.dumps(row.summary)
        for word in ("score", "band", "answers", "flagged", "urgent", "instrument"):
            assert word not in text, (row.action, row.summary)
        for secret in secrets:
            assert json.dumps(secret) not in text


def access_rows(app) -> list[WellbeingAccess]:
    with db.transaction(app) as session:
        return list(session.scalars(select(WellbeingAccess).order_by(WellbeingAccess.id)))


def test_every_counsellor_read_is_logged_for_counsellors_only(
    app, client, person, check_in, counsellor, as_role
) -> None:
    """Reads go to the counsellor-only access log (who, whose, when, which view); the shared
    audit log, which admin and compliance read, gets no row naming the contractor."""
    a, b = person(), person()
    one = check_in(a, "phq9", MODERATE_PHQ9)
    check_in(b, "gad7", [3] * 7)
    client.get(f"{API}/me/checkins", headers=a.headers)
    client.get(f"{API}/checkins/{one['id']}", headers=a.headers)
    assert access_rows(app) == []  # contractors reading their own: not logged

    assert client.get(f"{API}/checkins/{one['id']}", headers=counsellor).status_code == 200
    rows = access_rows(app)
    assert [(r.contractor_id, r.action, r.view, r.object_id) for r in rows] == [
        (a.id, "read", "check_in", None)
    ]
    assert rows[0].actor_token_id is not None

    client.get(f"{API}/checkins", headers=counsellor)
    rows = access_rows(app)[1:]
    assert sorted(r.contractor_id for r in rows) == sorted([a.id, b.id])
    assert {r.view for r in rows} == {"check_in_list"}

    referral_id = one["referral"]["id"]
    client.get(f"{API}/referrals", headers=counsellor)
    client.get(f"{API}/referrals/{referral_id}", headers=counsellor)
    client.get(f"{API}/wellbeing-rotations", headers=counsellor)
    assert [r.view for r in access_rows(app)][-2:] == ["referral_list", "referral"]

    # Nothing in the shared log names a contractor for these reads, nor carries a value.
    everything = audit_rows(app)
    assert not [r for r in everything if r.action.startswith("wellbeing.")]
    whose = {str(a.id), str(b.id)}
    named = [r for r in everything if r.target_type == "contractor" and r.target_id in whose]
    assert [r.action for r in named] == ["contractor.create"] * 2
    assert_no_values(everything, MODERATE_PHQ9)
    served = client.get(f"{API}/audit-events?page_size=500", headers=as_role("admin")).json
    assert_no_values([AuditEvent(summary=e["summary"]) for e in served["items"]])
    assert client.get(f"{API}/audit-events/verify", headers=as_role("admin")).json["ok"] is True


def test_a_failed_read_records_nothing(app, client, counsellor) -> None:
    assert client.get(f"{API}/checkins/12345", headers=counsellor).status_code == 404
    assert access_rows(app) == []


def test_check_in_creation_audit_names_only_the_contractor(app, person, check_in) -> None:
    who = person()
    body = check_in(who, "phq9", ITEM9_PHQ9)
    rows = audit_rows(app, "checkin.create")
    assert [(r.target_id, r.summary) for r in rows] == [
        (str(body["id"]), {"contractor_id": who.id})
    ]
    assert [r.action for r in audit_rows(app) if "referral" in r.action] == []
