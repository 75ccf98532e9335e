"""Signing in and out: cookies, rate limits, session validity, offboarding, CSRF, headers."""

from __future__ import annotations

import re

import pytest
from argon2 import Type
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update

from tests.portal.conftest import (
    PASSWORD,
    PRODUCTION_HASHER,
    accept,
    csrf,
    post_form,
    sign_in,
    text_of,
)
from workforce import create_app, db
from workforce.audit import AuditEvent
from workforce.contractors.models import Contractor
from workforce.identity import accounts as services
from workforce.identity.models import PortalAccount, PortalSessionRevocation
from workforce.portal.web import PORTAL_CSP


@pytest.fixture
def account(client, invite, new_contractor):
    """A contractor with a password (not signed in); returns their email."""
    cid = new_contractor(email="grace@example.org", locale="en_KE")
    assert accept(client, invite(cid)).status_code == 303
    return "grace@example.org"


def test_sign_in_sets_a_locked_down_session_cookie(app, account) -> None:
    client = app.test_client()
    response = sign_in(client, "Grace@Example.org ")
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("workforce_portal=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/portal" in cookie
    assert "Secure" not in cookie  # plain HTTP on a developer's machine
    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Hello, Contractor" in text_of(home.get_data(as_text=True))


def test_the_cookie_is_secure_over_https_or_when_configured(app, account) -> None:
    https = app.test_client()
    token = csrf_from_https(https)
    response = https.post(
        "/portal/sign-in",
        data={"csrf_token": token, "email": account, "password": PASSWORD},
        base_url="https://portal.example.org",
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    app.config["SESSION_COOKIE_SECURE"] = True
    plain = app.test_client()
    assert "Secure" in plain.get("/portal/sign-in").headers["Set-Cookie"]


def csrf_from_https(client) -> str:
    html = client.get("/portal/sign-in", base_url="https://portal.example.org")
    return re.search(r'name="csrf_token" value="([^"]+)"', html.get_data(as_text=True)).group(1)


def test_a_wrong_password_or_unknown_email_get_the_same_answer(app, account) -> None:
    wrong = sign_in(app.test_client(), account, "not the password")
    unknown = sign_in(app.test_client(), "nobody@example.org", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "The email or password is wrong." in text_of(response.get_data(as_text=True))
        assert "workforce_portal" not in response.headers.get("Set-Cookie", "") or (
            "cid" not in response.headers.get("Set-Cookie", "")
        )


def test_failed_sign_ins_per_email_are_rate_limited(app, account) -> None:
    limit = app.config["PORTAL_SIGNIN_FAILURES_PER_EMAIL"]
    for _ in range(limit):
        assert sign_in(app.test_client(), account, "wrong password!").status_code == 401
    # Even the right password waits: the limit is on the email, from any client.
    blocked = sign_in(app.test_client(), account)
    assert blocked.status_code == 429
    wait = int(blocked.headers["Retry-After"])
    assert 0 < wait <= app.config["PORTAL_SIGNIN_WINDOW_SECONDS"]
    assert "Too many failed attempts" in text_of(blocked.get_data(as_text=True))


def test_failed_sign_ins_per_client_are_rate_limited(app, account) -> None:
    app.config["PORTAL_SIGNIN_FAILURES_PER_CLIENT"] = 3
    client = app.test_client()
    for n in range(3):
        assert sign_in(client, f"guess{n}@example.org", "wrong password!").status_code == 401
    blocked = sign_in(client, account)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_a_success_clears_the_email_failures(app, account) -> None:
    limit = app.config["PORTAL_SIGNIN_FAILURES_PER_EMAIL"]
    for _ in range(limit - 1):
        sign_in(app.test_client(), account, "wrong password!")
    assert sign_in(app.test_client(), account).status_code == 303
    for _ in range(limit - 1):
        assert sign_in(app.test_client(), account, "wrong password!").status_code == 401
    assert sign_in(app.test_client(), account).status_code == 303


def test_production_hashing_is_argon2id_and_old_hashes_are_upgraded(
    app, account, monkeypatch
) -> None:
    hasher = PRODUCTION_HASHER()
    assert (hasher.type, hasher.memory_cost, hasher.time_cost) == (Type.ID, 65536, 3)
    monkeypatch.setattr(services, "_hasher", PRODUCTION_HASHER)
    assert sign_in(app.test_client(), account).status_code == 303
    with db.transaction(app) as session:
        stored = session.scalars(select(PortalAccount.password_hash)).one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_sign_in_is_audited_as_the_contractor(app, account) -> None:
    sign_in(app.test_client(), account)
    with db.transaction(app) as session:
        row = session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.sign_in")).one()
    assert row.actor_role == "contractor"
    assert row.actor_name.startswith("portal:")


def test_pages_send_visitors_to_sign_in_and_back(app, account) -> None:
    client = app.test_client()
    response = client.get("/portal/credentials")
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/sign-in?next=/portal/credentials"
    signed = sign_in(client, account, next="/portal/credentials")
    assert signed.headers["Location"] == "/portal/credentials"


@pytest.mark.parametrize(
    "target",
    [
        "/portal/\r\nSet-Cookie: x=1",
        "/portal/\n",
        "/portal/\x7f",
        "/portal/\x85",
        "/portal/\u2028",
        "\t/portal/",
    ],
)
def test_control_characters_in_next_are_refused_without_a_cookie(app, account, target) -> None:
    client = app.test_client()
    response = sign_in(client, account, next=target)
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers
    assert "Location" not in response.headers
    assert client.get("/portal/").status_code == 303  # not signed in
    with db.transaction(app) as session:
        assert session.scalars(select(AuditEvent.action)).all().count("portal.sign_in") == 0
    signed_in = app.test_client()
    assert sign_in(signed_in, account).status_code == 303
    again = signed_in.get("/portal/sign-in", query_string={"next": target})
    assert again.status_code == 400  # the signed-in redirect is guarded too


def test_no_error_answer_carries_a_session_cookie(app, account) -> None:
    # An app of its own, on the same database, with a view that fails after touching the
    # session (routes cannot be added to an app that has served requests).
    crashing = create_app({**app.config, "PROPAGATE_EXCEPTIONS": False})

    @crashing.route("/portal/test-crash", methods=["POST"])
    def crash() -> str:
        session["cid"] = 1  # as if a view had started a session, then failed
        raise RuntimeError("boom")

    client = crashing.test_client()
    assert "Set-Cookie" in client.get("/portal/sign-in").headers  # the CSRF cookie
    crashed = client.post("/portal/test-crash", data={"csrf_token": csrf(client)})
    assert crashed.status_code == 500
    wrong = sign_in(client, account, "not the password")
    csrf_refused = client.post("/portal/sign-in", data={"email": account, "password": PASSWORD})
    unknown = client.get("/portal/no-such-page", query_string={"lang": "sw"})
    for response in (crashed, wrong, csrf_refused, unknown):
        assert response.status_code >= 400
        assert "Set-Cookie" not in response.headers, response.status_code
    db.get_db(crashing).dispose()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/portal/\\evil", "/api/v1/me"]
)
def test_next_never_leaves_the_portal(app, account, target) -> None:
    response = sign_in(app.test_client(), account, next=target)
    assert response.headers["Location"] == "/portal/"


def test_a_signed_in_visitor_skips_the_sign_in_page(portal_user) -> None:
    user = portal_user()
    assert user.client.get("/portal/sign-in").headers["Location"] == "/portal/"


def test_sign_out_ends_the_session_in_this_browser(portal_user) -> None:
    user = portal_user(locale="en_KE")
    response = post_form(user.client, "/portal/sign-out", page="/portal/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/sign-in"
    assert "You are signed out." in text_of(user.client.get("/portal/sign-in").get_data(True))
    assert user.client.get("/portal/").status_code == 303


def test_sign_out_ends_the_session_on_the_server(app, portal_user) -> None:
    user = portal_user()
    other_device = app.test_client()
    assert sign_in(other_device, user.email).status_code == 303
    cookie = user.client.get_cookie("workforce_portal", path="/portal")
    assert cookie is not None
    thief = app.test_client()  # a copy of the cookie, taken before sign-out
    thief.set_cookie("workforce_portal", cookie.value, path="/portal")
    assert thief.get("/portal/").status_code == 200
    assert post_form(user.client, "/portal/sign-out", page="/portal/").status_code == 303
    assert thief.get("/portal/").status_code == 303  # the copied cookie is dead
    assert thief.get("/portal/profile").status_code == 303
    assert other_device.get("/portal/").status_code == 200  # only this session ended
    with db.transaction(app) as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "portal.sign_out")
        ).one()
    assert (row.actor_role, row.target_id) == ("contractor", str(user.id))


def test_sign_out_clears_revocations_of_expired_sessions(app, portal_user) -> None:
    first, second = portal_user(), portal_user()
    post_form(first.client, "/portal/sign-out", page="/portal/")
    with db.transaction(app) as session:
        session.execute(update(PortalSessionRevocation).values(expires_at=db.utcnow()))
    post_form(second.client, "/portal/sign-out", page="/portal/")
    with db.transaction(app) as session:
        left = session.scalars(select(PortalSessionRevocation.contractor_id)).all()
    assert left == [second.id]


def test_sign_out_everywhere_ends_every_session(app, portal_user) -> None:
    user = portal_user()
    second = app.test_client()
    assert sign_in(second, user.email).status_code == 303
    assert second.get("/portal/").status_code == 200
    response = post_form(user.client, "/portal/sign-out-everywhere", page="/portal/profile")
    assert response.status_code == 303
    assert second.get("/portal/").status_code == 303
    assert user.client.get("/portal/").status_code == 303
    assert sign_in(app.test_client(), user.email).status_code == 303  # the password still works


def test_offboarding_ends_sessions_and_sign_ins(app, client, ops, invite, portal_user) -> None:
    user = portal_user()
    pending = invite(user.id)  # an unused invite dies with offboarding too
    response = client.post(
        f"/api/v1/contractors/{user.id}/offboard", json={"reason": "contract ended"}, headers=ops
    )
    assert response.status_code == 200
    assert user.client.get("/portal/").status_code == 303
    assert sign_in(app.test_client(), user.email).status_code == 401
    assert app.test_client().get(pending).status_code == 410
    with db.transaction(app) as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contractor.offboard")
        ).one()
    assert row.summary["portal_sessions_ended"] is True


def test_the_status_check_alone_blocks_an_offboarded_contractor(app, portal_user) -> None:
    user = portal_user()
    with db.transaction(app) as session:
        session.execute(
            update(Contractor).where(Contractor.id == user.id).values(status="offboarded")
        )
    assert user.client.get("/portal/").status_code == 303


def test_a_suspended_contractor_still_sees_their_own_pages(app, portal_user) -> None:
    user = portal_user()
    with db.transaction(app) as session:
        session.execute(
            update(Contractor).where(Contractor.id == user.id).values(status="suspended")
        )
    assert user.client.get("/portal/").status_code == 200


def test_sessions_end_after_their_lifetime(app, portal_user) -> None:
    user = portal_user()
    app.config["PORTAL_SESSION_HOURS"] = 0
    assert user.client.get("/portal/").status_code == 303


def test_a_cookie_not_signed_with_our_key_is_not_a_session(app, portal_user) -> None:
    user = portal_user()
    other = portal_user()
    # A session for someone else, as if the attacker knew the format but not the key.
    forger = Flask("forger")
    forger.secret_key = "not-our-key"
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    cookie = user.client.get_cookie("workforce_portal", path="/portal")
    assert cookie is not None
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie.value)
    data["cid"] = other.id
    data["iat"] = db.utcnow().isoformat()
    attacker = app.test_client()
    attacker.set_cookie("workforce_portal", serializer.dumps(data), path="/portal")
    assert attacker.get("/portal/").status_code == 303
    # The same forged data signed with our key would work: the key is the whole defence.
    genuine = app.test_client()
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    genuine.set_cookie("workforce_portal", signer.dumps(data), path="/portal")
    assert genuine.get("/portal/").status_code == 200


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/portal/sign-in",
        "/portal/sign-out",
        "/portal/profile",
        "/portal/credentials",
        "/portal/sign-out-everywhere",
    ],
)
def test_every_form_post_needs_the_csrf_token(app, portal_user, path) -> None:
    user = portal_user()
    missing = user.client.post(path, data={"form": "consent", "sensitive": "yes"})
    assert missing.status_code == 400
    wrong = user.client.post(
        path, data={"csrf_token": "x" * 43, "form": "consent", "sensitive": "yes"}
    )
    assert wrong.status_code == 400
    assert "This form has expired" in text_of(wrong.get_data(as_text=True)) or (
        "Fomu hii imepitwa na wakati" in text_of(wrong.get_data(as_text=True))
    )
    with db.transaction(app) as session:
        assert session.get(Contractor, user.id).sensitive_consent_at is None
    assert user.client.get("/portal/").status_code == 200  # still signed in


def test_a_token_from_another_session_is_refused(app, portal_user) -> None:
    user, other = portal_user(), portal_user()
    stolen = csrf(other.client, "/portal/profile")
    response = user.client.post(
        "/portal/profile", data={"csrf_token": stolen, "form": "consent", "sensitive": "yes"}
    )
    assert response.status_code == 400


def test_the_invite_form_needs_the_csrf_token(client, invite, new_contractor) -> None:
    path = invite(new_contractor())
    client.get(path)
    response = client.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400


def test_sign_in_rotates_the_csrf_token(app, account) -> None:
    client = app.test_client()
    before = csrf(client)
    sign_in(client, account)
    assert csrf(client, "/portal/profile") != before


# --- headers --------------------------------------------------------------------------


def test_portal_pages_carry_a_strict_csp_and_no_scripts(portal_user) -> None:
    user = portal_user()
    for path in ("/portal/", "/portal/profile", "/portal/credentials"):
        response = user.client.get(path)
        assert response.headers["Content-Security-Policy"] == PORTAL_CSP
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        html = response.get_data(as_text=True)
        assert "<script" not in html
        assert " style=" not in html  # style-src 'self' refuses inline styles
    unknown = user.client.get("/portal/no-such-page")
    assert unknown.status_code == 404
    assert unknown.headers["Content-Security-Policy"] == PORTAL_CSP
    assert "'unsafe-inline'" not in PORTAL_CSP
    assert "style-src 'self'" in PORTAL_CSP


def test_the_stylesheet_is_cached_by_content(client) -> None:
    html = client.get("/portal/sign-in").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert re.fullmatch(r"/portal/static/portal\.css\?v=[0-9a-f]{12}", href)
    response = client.get(href)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert len(response.data) < 12_000  # small enough for a slow connection
    response.close()
