"""Portal helpers: invite someone through the API, set a password, sign in a test client."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from workforce import db
from workforce.contractors.models import Contractor
from workforce.identity import accounts as services
from workforce.notifications.email import SECRET_LINK_KINDS
from workforce.notifications.models import Notification

PASSWORD = "correct horse battery"
#: The production hasher (argon2id, 64 MiB): the suite swaps in a cheap one for speed.
PRODUCTION_HASHER = services._hasher
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_hasher", lambda: CHEAP_HASHER)
    monkeypatch.setattr(services, "_dummy_hash", lambda: CHEAP_HASHER.hash("dummy"))


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def csrf(client: FlaskClient, path: str = "/portal/sign-in") -> str:
    """The CSRF token of the client's session, read from a form page."""
    return csrf_from(client.get(path).get_data(as_text=True))


def post_form(client: FlaskClient, path: str, data: dict | None = None, *, page: str | None = None):
    """POST a form the way a browser does: with the token of the page it came from."""
    token = csrf(client, page or path)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def text_of(html: str) -> str:
    """The visible text of a page (tags dropped, entities decoded, spaces collapsed)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@dataclass
class PortalUser:
    id: int
    email: str
    client: FlaskClient


def sent_link(app: Flask, contractor_id: int) -> tuple[str, str]:
    """The newest one-time link in the contractor's outbox: ``(kind, path)``. (The email
    that carries it is issue 18's; the outbox row is what this service writes.)"""
    with db.transaction(app) as session:
        notice = session.scalars(
            select(Notification)
            .where(
                Notification.contractor_id == contractor_id,
                Notification.kind.in_(SECRET_LINK_KINDS),
            )
            .order_by(Notification.id.desc())
            .limit(1)
        ).one()
        return notice.kind, urlsplit(notice.payload["url"]).path


@pytest.fixture
def invite(app: Flask, client: FlaskClient, ops: dict[str, str]) -> Callable[[int], str]:
    """``invite(contractor_id)`` -> the path of the link ops had sent (``/portal/invite/...``)."""

    def make(contractor_id: int) -> str:
        response = client.post(f"/api/v1/contractors/{contractor_id}/portal-invite", headers=ops)
        assert response.status_code == 201, response.json
        assert "url" not in response.json  # never shown to staff
        return sent_link(app, contractor_id)[1]

    return make


def accept(client: FlaskClient, path: str, password: str = PASSWORD, confirm: str | None = None):
    return post_form(
        client, path, {"password": password, "confirm": password if confirm is None else confirm}
    )


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **extra: str):
    return post_form(client, "/portal/sign-in", {"email": email, "password": password, **extra})


@pytest.fixture
def portal_user(
    app: Flask, new_contractor: Callable[..., int], invite: Callable[[int], str]
) -> Callable[..., PortalUser]:
    """A contractor with a password, signed in on a client of their own."""

    def make(**fields: str) -> PortalUser:
        cid = new_contractor(**fields)
        client = app.test_client()
        assert accept(client, invite(cid)).status_code == 303
        with db.transaction(app) as session:
            email = session.get(Contractor, cid).email
        response = sign_in(client, email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return PortalUser(cid, email, client)

    return make
