"""Invites and resets: sent by ops or asked for on the sign-in page, only to the contractor's
own email (the outbox), 7 days, single use, replaced by newer ones; password rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from tests.portal.conftest import PASSWORD, accept, post_form, sent_link, sign_in, text_of
from tests.webhook_server import webhook_receiver
from workforce import db
from workforce.audit import AuditEvent
from workforce.contractors.models import Contractor
from workforce.identity.accounts import (
    EMAIL_CHANGE_COOLING_OFF,
    PASSWORD_MIN_LENGTH,
    WeakPassword,
    check_password,
    common_passwords,
    mask_email,
)
from workforce.identity.models import PortalAccount, PortalInvite
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.models import Delivery, Notification


def test_ops_and_admin_create_invites_that_last_seven_days(
    app, client, ops, admin, new_contractor
) -> None:
    cid = new_contractor()
    for headers in (ops, admin):
        before = db.utcnow()
        response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=headers)
        assert response.status_code == 201, response.json
        body = response.json
        assert body == {
            "contractor_id": cid,
            "kind": "portal.invite",
            "sent_to": "c***@example.org",
            "expires_at": body["expires_at"],
        }  # no link: it went to the contractor's own email, through the outbox
        expires = dt.datetime.fromisoformat(body["expires_at"])
        assert before + dt.timedelta(days=7) <= expires <= db.utcnow() + dt.timedelta(days=7)
    with db.transaction(app) as session:
        notices = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.kind, n.audience, n.contractor_id) for n in notices] == [
        ("portal.invite", "contractor", cid)
    ] * 2
    assert notices[1].payload["url"].startswith(app.config["BASE_URL"] + "/portal/invite/")
    assert notices[1].payload["expires_at"] == body["expires_at"].replace("Z", "+00:00")


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
    assert client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=ops).status_code == 201
    secret = sent_link(app, cid)[1].rsplit("/", 1)[1]
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
        ("eleven char", "too_short"),
        ("   eleven char   ", "too_short"),  # counted after trimming
        ("x" * 201, "too_long"),
        ("qwerty123456", "common"),
        ("QWERTY123456", "common"),
        (" qwerty 123456 ", "common"),
        ("password1234", "common"),
        ("Grace@Example.org", "is_email"),
        ("grace@example.org", "is_email"),
        ("  grace@example.org ", "is_email"),
        ("gracewambui12", None),
        ("grace@example.org!", None),
        ("twelve chars", None),
        ("ñandú verde ☂", None),  # any script, spaces and symbols
        ("x" * 200, None),
    ],
)
def test_password_rules(password: str, rule: str | None) -> None:
    if rule is None:
        check_password(password, "grace@example.org")
        return
    with pytest.raises(WeakPassword) as raised:
        check_password(password, "grace@example.org")
    assert raised.value.rule == rule


@given(
    core=st.text(max_size=PASSWORD_MIN_LENGTH - 1).map(str.strip),
    left=st.text(" \t\n\u3000", max_size=300),
    right=st.text(" \t\n\u3000", max_size=300),
)
def test_spaces_around_never_make_a_short_password_long_enough(
    core: str, left: str, right: str
) -> None:
    with pytest.raises(WeakPassword) as raised:
        check_password(left + core + right, "grace@example.org")
    assert raised.value.rule == "too_short"


@given(st.text(min_size=PASSWORD_MIN_LENGTH, max_size=200))
def test_a_password_is_refused_only_for_a_named_rule(password: str) -> None:
    folded = password.strip().casefold()
    broken = {
        "too_short": len(password.strip()) < PASSWORD_MIN_LENGTH,
        "is_email": folded in ("grace@example.org", "grace"),
        "common": bool({folded, "".join(folded.split())} & common_passwords()),
    }
    if not any(broken.values()):
        check_password(password, "grace@example.org")
        return
    with pytest.raises(WeakPassword) as raised:
        check_password(password, "grace@example.org")
    assert broken[raised.value.rule]


def test_every_long_enough_common_password_is_refused_in_any_case() -> None:
    long_ones = [p for p in common_passwords() if len(p.strip()) >= PASSWORD_MIN_LENGTH]
    assert len(long_ones) > 150  # the shipped list, not an empty file
    for common in long_ones:
        for variant in (common, common.upper(), f"  {common} "):
            with pytest.raises(WeakPassword) as raised:
                check_password(variant, "grace@example.org")
            assert raised.value.rule == "common", variant


def test_the_local_part_of_the_email_is_not_a_password() -> None:
    with pytest.raises(WeakPassword):
        check_password("gracewambui1", "gracewambui1@example.org")


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("too short", "too short", "at least 12 characters"),
        ("qwerty123456", "qwerty123456", "one of the most common"),
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


def test_an_invite_for_an_account_never_resets_it_nor_shows_the_link(
    app, client, ops, portal_user
) -> None:
    user = portal_user()
    response = client.post(f"/api/v1/contractors/{user.id}/portal-invite", headers=ops)
    assert response.status_code == 201
    assert response.json["kind"] == "portal.password_reset"
    assert response.json["sent_to"] == mask_email(user.email)
    assert "/portal/invite/" not in response.get_data(as_text=True)
    # Nothing changed: the password works, the session goes on.
    assert user.client.get("/portal/").status_code == 200
    assert sign_in(app.test_client(), user.email).status_code == 303
    kind, path = sent_link(app, user.id)  # the outbox row for the contractor's own email
    assert kind == "portal.password_reset"
    # Only whoever reads that email can choose a new password; then old sessions end.
    assert accept(app.test_client(), path, "a brand new password").status_code == 303
    assert user.client.get("/portal/").status_code == 303
    assert sign_in(app.test_client(), user.email).status_code == 401
    assert sign_in(app.test_client(), user.email, "a brand new password").status_code == 303


def test_the_contractor_is_told_when_their_password_changes(app, invite, portal_user) -> None:
    user = portal_user()
    accept(app.test_client(), invite(user.id), "a brand new password")
    with db.transaction(app) as session:
        changed = session.scalars(
            select(Notification)
            .where(Notification.kind == "account.password_changed")
            .order_by(Notification.id)
        ).all()
    assert [(n.audience, n.contractor_id, n.payload["first"]) for n in changed] == [
        ("contractor", user.id, True),
        ("contractor", user.id, False),
    ]
    assert "brand new" not in json.dumps([n.payload for n in changed])


def test_links_never_reach_the_webhooks(app, client, ops, new_contractor) -> None:
    cid = new_contractor()
    with webhook_receiver() as hook:
        every_staff_audience = {
            audience: [{"url": hook.url, "secret": "k" * 32}]
            for audience in ("ops", "compliance", "wellbeing")
        }
        app.config.update(WEBHOOKS=json.dumps(every_staff_audience))
        client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=ops)
        job = next(job for job in all_jobs(app.config) if job.id == "deliver-notifications")
        run_job(app, job)
        assert hook.calls == []  # not even attempted
    with db.transaction(app) as session:
        channels = session.scalars(select(Delivery.channel)).all()
    assert channels == ["email"]  # the contractor's own address only


@pytest.mark.parametrize(
    ("email", "masked"),
    [("jane@example.com", "j***@example.com"), ("j@x.org", "j***@x.org"), ("@x", "***@x")],
)
def test_masked_addresses(email: str, masked: str) -> None:
    assert mask_email(email) == masked


# --- forgot password ----------------------------------------------------------------------

NEUTRAL = "If this address belongs to a portal account, we have sent it a link"


def forgot(client, email: str):
    return post_form(client, "/portal/forgot-password", {"email": email})


def test_forgot_password_sends_a_reset_link_to_the_account_only(app, portal_user) -> None:
    user = portal_user()
    response = forgot(app.test_client(), f"  {user.email.upper()} ")
    assert response.status_code == 200
    assert NEUTRAL in text_of(response.get_data(as_text=True))
    assert "/portal/invite/" not in response.get_data(as_text=True)
    kind, path = sent_link(app, user.id)
    assert kind == "portal.password_reset"
    assert sign_in(app.test_client(), user.email).status_code == 303  # nothing reset yet
    assert accept(app.test_client(), path, "my new long password").status_code == 303
    assert sign_in(app.test_client(), user.email, "my new long password").status_code == 303
    with db.transaction(app) as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "portal.password_reset")
        ).one()
    assert (row.actor_role, row.target_id) == ("anonymous", str(user.id))


def test_forgot_password_answers_the_same_for_anyone(app, new_contractor, portal_user) -> None:
    user = portal_user()
    never_invited = new_contractor(email="new@example.org")
    answers = [
        forgot(app.test_client(), email)
        for email in (user.email, "new@example.org", "nobody@example.org")
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({text_of(a.get_data(as_text=True)) for a in answers}) == 1
    with db.transaction(app) as session:
        sent = session.scalars(
            select(Notification.contractor_id).where(
                Notification.kind.in_(("portal.invite", "portal.password_reset"))
            )
        ).all()
    assert never_invited not in sent
    assert sent.count(user.id) == 2  # the invite of the fixture, then this reset


def test_forgot_password_shares_the_sign_in_limits(app, portal_user) -> None:
    user = portal_user()
    limit = app.config["PORTAL_SIGNIN_FAILURES_PER_EMAIL"]
    for _ in range(limit):
        assert forgot(app.test_client(), user.email).status_code == 200
    blocked = forgot(app.test_client(), user.email)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    with db.transaction(app) as session:
        resets = session.scalars(
            select(Notification).where(Notification.kind == "portal.password_reset")
        ).all()
    assert len(resets) == limit


def test_the_sign_in_page_offers_the_reset(client) -> None:
    html = client.get("/portal/sign-in").get_data(as_text=True)
    assert 'href="/portal/forgot-password"' in html


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


def test_staff_changing_an_email_cannot_take_over_the_account(
    app, client, ops, portal_user
) -> None:
    """Changing a contractor's email, then sending a reset to the new address, would let
    staff choose the password and read the person's check-ins: the old address is told, and
    no password link goes to the new one until the cooling-off has passed."""
    user = portal_user()
    changed = client.patch(
        f"/api/v1/contractors/{user.id}", json={"email": "taken.over@example.net"}, headers=ops
    )
    assert changed.status_code == 200, changed.json
    refused = client.post(f"/api/v1/contractors/{user.id}/portal-invite", headers=ops)
    assert refused.status_code == 409
    assert refused.json["code"] == "email_recently_changed"
    asked = forgot(app.test_client(), "taken.over@example.net")
    assert asked.status_code == 200 and NEUTRAL in text_of(asked.get_data(as_text=True))
    assert sent_link(app, user.id)[0] == "portal.invite"  # only the first, long used

    job = next(job for job in all_jobs(app.config) if job.id == "deliver-notifications")
    run_job(app, job)
    with db.transaction(app) as session:
        told = (
            session.execute(
                select(Delivery.target)
                .join(Notification, Notification.id == Delivery.notification_id)
                .where(Notification.kind == "account.email_changed")
            )
            .scalars()
            .all()
        )
        session.get(Contractor, user.id).email_changed_at -= EMAIL_CHANGE_COOLING_OFF
    assert told == [user.email]  # the address it was changed from

    later = client.post(f"/api/v1/contractors/{user.id}/portal-invite", headers=ops)
    assert later.status_code == 201, later.json
    assert later.json["sent_to"] == "t***@example.net"
