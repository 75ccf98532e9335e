"""Invites: created by ops, 7 days, single use, replaced by newer ones; password rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select, update

from tests.portal.conftest import PASSWORD, accept, post_form, sign_in, text_of
from workforce import db
from workforce.audit import AuditEvent
from workforce.portal.models import PortalAccount, PortalInvite
from workforce.portal.services import WeakPassword, check_password


def test_ops_and_admin_create_invites_that_last_seven_days(
    app, client, ops, admin, new_contractor
) -> None:
    cid = new_contractor()
    for headers in (ops, admin):
        before = db.utcnow()
        response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=headers)
        assert response.status_code == 201, response.json
        body = response.json
        assert body["contractor_id"] == cid
        assert body["url"].startswith(app.config["BASE_URL"] + "/portal/invite/")
        expires = dt.datetime.fromisoformat(body["expires_at"])
        assert before + dt.timedelta(days=7) <= expires <= db.utcnow() + dt.timedelta(days=7)


@pytest.mark.parametrize("role", ["compliance", "wellbeing", "ingest"])
def test_other_roles_may_not_invite(client, as_role, new_contractor, role) -> None:
    cid = new_contractor()
    response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=as_role(role))
    assert response.status_code == 403


def test_a_contractor_may_not_invite_even_themselves(client, as_role, new_contractor) -> None:
    cid = new_contractor()
    headers = as_role("contractor", cid)
    response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=headers)
    assert response.status_code == 403


def test_unknown_and_offboarded_contractors(client, ops, new_contractor) -> None:
    assert client.post("/api/v1/contractors/999/portal-invite", headers=ops).status_code == 404
    cid = new_contractor()
    client.post(f"/api/v1/contractors/{cid}/offboard", json={"reason": "left"}, headers=ops)
    response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=ops)
    assert response.status_code == 409
    assert response.json["code"] == "contractor_offboarded"


def test_only_a_hash_is_stored_and_the_audit_never_sees_the_secret(
    app, client, ops, new_contractor
) -> None:
    cid = new_contractor()
    url = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=ops).json["url"]
    secret = url.rsplit("/", 1)[1]
    assert len(secret) >= 43  # 256 random bits
    with db.transaction(app) as session:
        invite = session.scalars(select(PortalInvite)).one()
        assert invite.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert invite.created_by_token_id is not None
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.invite"))
        summaries = [json.dumps(row.summary) for row in rows]
    assert len(summaries) == 1
    assert secret not in summaries[0]
    assert invite.token_hash not in summaries[0]


def test_the_invite_page_greets_the_invitee(client, invite, new_contractor) -> None:
    path = invite(new_contractor(full_name="Grace Wambui", locale="en_KE"))
    response = client.get(path)
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Grace Wambui" in text
    assert "Choose your password" in text


def test_accepting_sets_an_argon2id_password_and_the_invite_works_once(
    app, client, invite, new_contractor
) -> None:
    cid = new_contractor(locale="en_KE")
    path = invite(cid)
    response = accept(client, path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/portal/sign-in")
    with db.transaction(app) as session:
        account = session.scalars(select(PortalAccount)).one()
        assert account.contractor_id == cid
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in text_of(again.get_data(as_text=True))
    late = post_form(
        app.test_client(),
        path,
        {"password": "another good password", "confirm": "another good password"},
        page="/portal/sign-in",
    )
    assert late.status_code == 410


def test_an_invite_expires_after_its_seven_days(app, client, invite, new_contractor) -> None:
    path = invite(new_contractor(locale="en_KE"))
    with db.transaction(app) as session:
        session.execute(
            update(PortalInvite).values(expires_at=db.utcnow() - dt.timedelta(seconds=1))
        )
    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in text_of(response.get_data(as_text=True))


def test_a_newer_invite_replaces_the_older_one(client, invite, new_contractor) -> None:
    cid = new_contractor()
    first, second = invite(cid), invite(cid)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_an_unknown_link_is_not_found(client) -> None:
    for secret in ("x", "a" * 43, "a" * 500):
        assert client.get(f"/portal/invite/{secret}").status_code == 404


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short pw1", "too_short"),
        ("x" * 201, "too_long"),
        ("Grace@Example.org", "is_email"),
        ("grace@example.org", "is_email"),
        ("  grace@example.org ", "is_email"),
        ("gracewambui", None),
        ("grace@example.org!", None),
        ("ten chars!", None),
    ],
)
def test_password_rules(password: str, rule: str | None) -> None:
    if rule is None:
        check_password(password, "grace@example.org")
        return
    with pytest.raises(WeakPassword) as raised:
        check_password(password, "grace@example.org")
    assert raised.value.rule == rule


def test_the_local_part_of_the_email_is_not_a_password() -> None:
    with pytest.raises(WeakPassword):
        check_password("gracewambui", "gracewambui@example.org")


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("too short", "too short", "at least 10 characters"),
        ("long enough password", "long enough passw0rd", "not the same"),
        ("c1@example.org", "c1@example.org", "email address as your password"),
    ],
)
def test_the_form_explains_a_refused_password(
    app, client, invite, new_contractor, password, confirm, message
) -> None:
    cid = new_contractor(email="c1@example.org", locale="en_KE")
    path = invite(cid)
    response = accept(client, path, password, confirm)
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True))
    with db.transaction(app) as session:
        assert session.scalars(select(PortalAccount)).first() is None
        assert session.scalars(select(PortalInvite)).one().used_at is None


def test_a_new_invite_resets_the_password_and_ends_old_sessions(app, invite, portal_user) -> None:
    user = portal_user()
    assert user.client.get("/portal/").status_code == 200
    other = app.test_client()
    assert accept(other, invite(user.id), "a brand new password").status_code == 303
    assert user.client.get("/portal/").status_code == 303  # the old session is over
    assert sign_in(app.test_client(), user.email).status_code == 401
    assert sign_in(app.test_client(), user.email, "a brand new password").status_code == 303


def test_accepting_is_audited_as_the_contractor(app, client, invite, new_contractor) -> None:
    cid = new_contractor()
    accept(client, invite(cid))
    with db.transaction(app) as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "portal.password_set")
        ).one()
    assert (row.actor_role, row.actor_name, row.target_id) == (
        "contractor",
        f"portal:{cid}",
        str(cid),
    )
    assert PASSWORD not in json.dumps(row.summary)
