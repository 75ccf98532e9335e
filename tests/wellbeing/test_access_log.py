"""The counsellor-only access log (issue 17, point 5): counsellors read it, a contractor
reads their own, nobody else; and the shared audit log no longer says who has a referral."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select

from tests.wellbeing.conftest import MODERATE_PHQ9
from workforce import audit, db
from workforce.audit import Actor, AuditEvent
from workforce.cli import alembic_config, upgrade
from workforce.wellbeing.models import WellbeingAccess

API = "/api/v1"


def test_counsellors_read_the_log_filtered_by_contractor(
    client, person, check_in, counsellor
) -> None:
    a, b = person(), person()
    first = check_in(a, "phq9", MODERATE_PHQ9)
    second = check_in(b, "gad7", [3] * 7)
    client.get(f"{API}/checkins/{first['id']}", headers=counsellor)
    client.get(f"{API}/checkins/{second['id']}", headers=counsellor)
    referral = first["referral"]["id"]
    made = client.post(
        f"{API}/referrals/{referral}/follow-ups",
        json={"contacted": True, "outcome": "talked"},
        headers=counsellor,
    )
    assert made.status_code == 201

    everything = client.get(f"{API}/wellbeing/access-log", headers=counsellor).json
    assert everything["total"] == 3
    assert [(i["contractor_id"], i["action"]) for i in everything["items"]] == [
        (a.id, "follow_up"),
        (b.id, "read"),
        (a.id, "read"),
    ]
    assert everything["items"][0]["object_id"] == made.json["id"]
    only_a = client.get(
        f"{API}/wellbeing/access-log?contractor_id={a.id}&page_size=1", headers=counsellor
    ).json
    assert only_a["total"] == 2 and len(only_a["items"]) == 1
    reads = client.get(f"{API}/wellbeing/access-log?action=read", headers=counsellor).json
    assert reads["total"] == 2
    bad = client.get(f"{API}/wellbeing/access-log?action=delete", headers=counsellor)
    assert bad.status_code == 422 and "action" in bad.json["errors"]


def test_a_contractor_sees_only_their_own_rows(client, person, check_in, counsellor) -> None:
    a, b = person(), person()
    first = check_in(a, "phq9", MODERATE_PHQ9)
    second = check_in(b, "gad7", [3] * 7)
    client.get(f"{API}/checkins/{first['id']}", headers=counsellor)
    client.get(f"{API}/checkins/{second['id']}", headers=counsellor)
    own = client.get(f"{API}/me/wellbeing/access-log", headers=a.headers).json
    assert [(i["contractor_id"], i["view"]) for i in own["items"]] == [(a.id, "check_in")]
    assert own["items"][0]["actor_name"]  # which counsellor's token read it
    # A contractor cannot ask for someone else's: the parameter does not exist for them.
    other = client.get(f"{API}/me/wellbeing/access-log?contractor_id={b.id}", headers=a.headers)
    assert other.status_code == 422
    assert client.get(f"{API}/wellbeing/access-log", headers=a.headers).status_code == 403


def test_staff_other_than_counsellors_cannot_read_the_access_log(client, as_role) -> None:
    for role in ("admin", "compliance", "ops", "ingest"):
        headers = as_role(role)
        assert client.get(f"{API}/wellbeing/access-log", headers=headers).status_code == 403
        assert client.get(f"{API}/me/wellbeing/access-log", headers=headers).status_code == 403


def test_migration_0142_moves_the_old_events_out_of_the_served_audit_log(
    app, client, person, as_role
) -> None:
    """Events written before 0142 named the contractor: the upgrade copies them to the
    access log, and GET /audit-events stops serving them (the chain still verifies)."""
    who = person()
    command.downgrade(alembic_config(app), "0141")
    try:
        counsellor = Actor(token_id=41, role="wellbeing", name="counsellor A")
        with db.transaction(app) as session:
            audit.record(
                session,
                "wellbeing.read",
                "contractor",
                who.id,
                {"view": "referral"},
                actor=counsellor,
            )
            audit.record(
                session,
                "wellbeing.follow_up",
                "contractor",
                who.id,
                {"follow_up_id": 7},
                actor=counsellor,
            )
    finally:
        upgrade(app)
    with db.transaction(app) as session:
        moved = session.scalars(select(WellbeingAccess).order_by(WellbeingAccess.id)).all()
        kept = session.scalars(select(AuditEvent.action)).all()
    assert [
        (r.contractor_id, r.action, r.view, r.object_id, r.actor_token_id, r.actor_name)
        for r in moved
    ] == [
        (who.id, "read", "referral", None, 41, "counsellor A"),
        (who.id, "follow_up", "referral", 7, 41, "counsellor A"),
    ]
    assert "wellbeing.read" in kept
    admin = as_role("admin")
    served = client.get(f"{API}/audit-events?page_size=500", headers=admin).json["items"]
    assert not [e for e in served if e["action"].startswith("wellbeing.")]
    named = client.get(
        f"{API}/audit-events?target_type=contractor&target_id={who.id}", headers=admin
    ).json["items"]
    assert [e["action"] for e in named] == ["contractor.create"]
    assert client.get(f"{API}/audit-events/verify", headers=admin).json["ok"] is True
