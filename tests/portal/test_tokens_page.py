"""The portal's API tokens page: a contractor creates and revokes their own tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import bearer
from tests.portal.conftest import post_form, text_of
from workforce import db
from workforce.identity.models import Token
from workforce.notifications.models import Notification

SECRET = re.compile(r'<p class="secret">(wf_[A-Za-z0-9_-]+)</p>')


def create(client, name: str = "my app", days: str = "90"):
    return post_form(client, "/portal/tokens", {"form": "create", "name": name, "days": days})


def test_the_page_is_in_the_menu_and_warns_about_health_data(portal_user) -> None:
    user = portal_user(locale="en_KE")
    home = user.client.get("/portal/").get_data(as_text=True)
    assert 'href="/portal/tokens"' in home
    page = text_of(user.client.get("/portal/tokens").get_data(as_text=True))
    assert "check-in answers" in page
    assert "You have no tokens." in page


def test_a_contractor_creates_a_token_seen_once_then_revokes_it(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    response = create(user.client, "budget app", "30")
    assert response.status_code == 201
    found = SECRET.search(response.get_data(as_text=True))
    assert found, "the new secret is shown"
    raw = found.group(1)
    api = app.test_client()
    assert api.get("/api/v1/me/profile", headers=bearer(raw)).json["id"] == user.id
    again = user.client.get("/portal/tokens").get_data(as_text=True)
    assert raw not in again  # shown only on the answer that created it
    assert "budget app" in text_of(again) and raw[:8] in again
    with db.transaction(app) as session:
        token = session.scalars(select(Token).where(Token.role == "contractor")).one()
        told = session.scalars(
            select(Notification.kind).where(Notification.kind.startswith("account.token"))
        ).all()
    assert (token.role, token.contractor_id) == ("contractor", user.id)
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert told == ["account.token_created"]
    revoked = post_form(user.client, "/portal/tokens", {"form": "revoke", "token": str(token.id)})
    assert revoked.status_code == 303
    page = text_of(user.client.get("/portal/tokens").get_data(as_text=True))
    assert "The token budget app is revoked." in page
    assert "You have no tokens." in page
    assert api.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_another_contractors_token_cannot_be_revoked_here(app, portal_user) -> None:
    user, other = portal_user(locale="en_KE"), portal_user(locale="en_KE")
    raw = SECRET.search(create(other.client).get_data(as_text=True)).group(1)
    with db.transaction(app) as session:
        their_id = session.scalars(select(Token.id).where(Token.role == "contractor")).one()
    for value in (str(their_id), "x", "99999999999"):
        refused = post_form(user.client, "/portal/tokens", {"form": "revoke", "token": value})
        assert refused.status_code == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(raw)).status_code == 200
    assert "my app" not in text_of(user.client.get("/portal/tokens").get_data(as_text=True))


def test_the_form_explains_what_is_missing(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    for name, days in (("", "30"), ("x" * 201, "30"), ("ok", "7"), ("ok", "")):
        response = create(user.client, name, days)
        assert response.status_code == 422, (name, days)
        assert "Please correct the fields marked below." in text_of(response.get_data(True))
    with db.transaction(app) as session:
        assert session.scalars(select(Token).where(Token.role == "contractor")).first() is None


def test_the_page_speaks_the_contractors_language(portal_user) -> None:
    user = portal_user(locale="sw_KE")
    text = text_of(user.client.get("/portal/tokens").get_data(as_text=True))
    assert "Tokeni za API" in text and "Huna tokeni yoyote." in text


def test_account_notices_read_as_sentences_without_secrets(app, invite, portal_user) -> None:
    user = portal_user(locale="en_KE")
    raw = SECRET.search(create(user.client, "budget app").get_data(as_text=True)).group(1)
    with db.transaction(app) as session:
        token_id = session.scalars(select(Token.id).where(Token.role == "contractor")).one()
    post_form(user.client, "/portal/tokens", {"form": "revoke", "token": str(token_id)})
    invite(user.id)  # a password reset link, sent to their email
    html = user.client.get("/portal/notifications").get_data(as_text=True)
    text = text_of(html)
    for sentence in (
        "We emailed you a link to choose your portal password.",
        "Your portal password was changed.",
        "An API token named budget app was created for your account.",
        "Your API token budget app was revoked.",
    ):
        assert sentence in text
    assert 'href="/portal/tokens"' in html
    assert raw not in html and "/portal/invite/" not in html  # links only in the email
