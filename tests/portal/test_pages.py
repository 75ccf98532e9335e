"""Signed-in pages: consent, opt-outs, credentials; only ever the contractor's own data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import url_for
from sqlalchemy import select

from tests.portal.conftest import csrf, post_form, text_of
from workforce import db
from workforce.audit import AuditEvent
from workforce.contractors.credentials import submit_credential
from workforce.contractors.models import Contractor, Credential
from workforce.portal.web import NAV


def contractor(app, cid: int) -> Contractor:
    with db.transaction(app) as session:
        found = session.get(Contractor, cid)
        assert found is not None
        return found


def test_home_greets_and_links_every_page(app, portal_user) -> None:
    user = portal_user(full_name="Grace Wambui", locale="en_KE")
    html = user.client.get("/portal/").get_data(as_text=True)
    text = text_of(html)
    assert "Hello, Grace Wambui" in text
    assert "Today is" in text
    with app.test_request_context():
        links = [url_for(item.endpoint) for item in NAV]
    assert links[0] == "/portal/"
    assert {"/portal/credentials", "/portal/profile"} <= set(links)
    for link in links:
        assert f'href="{link}"' in html


def test_consent_is_given_and_withdrawn(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    given = post_form(user.client, "/portal/profile", {"form": "consent", "sensitive": "yes"})
    assert given.status_code == 303
    assert contractor(app, user.id).sensitive_consent_at is not None
    page = text_of(user.client.get("/portal/profile").get_data(as_text=True))
    assert "You agreed to sensitive work." in page
    assert "You agreed on" in page
    withdrawn = post_form(user.client, "/portal/profile", {"form": "consent", "sensitive": "no"})
    assert withdrawn.status_code == 303
    assert contractor(app, user.id).sensitive_consent_at is None
    with db.transaction(app) as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contractor.consent")
        ).all()
    assert [r.summary["sensitive"] for r in rows] == [True, False]
    assert {r.actor_name for r in rows} == {f"portal:{user.id}"}


def test_opt_outs_are_saved(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    response = user.client.post(
        "/portal/profile",
        data={
            "csrf_token": csrf(user.client, "/portal/profile"),
            "form": "opt_outs",
            "categories": ["self_harm", "animal_cruelty"],
        },
    )
    assert response.status_code == 303
    assert contractor(app, user.id).opt_outs == ["animal_cruelty", "self_harm"]
    html = user.client.get("/portal/profile").get_data(as_text=True)
    assert 'value="self_harm" checked' in html
    assert 'value="violence_gore">' in html
    cleared = post_form(user.client, "/portal/profile", {"form": "opt_outs"})
    assert cleared.status_code == 303
    assert contractor(app, user.id).opt_outs == []


@pytest.mark.parametrize(
    "data",
    [
        {"form": "opt_outs", "categories": "not_a_category"},
        {"form": "consent", "sensitive": "maybe"},
        {"form": "consent"},
        {"form": "something else"},
    ],
)
def test_bad_choices_change_nothing(app, portal_user, data) -> None:
    user = portal_user(locale="en_KE")
    response = post_form(user.client, "/portal/profile", data)
    assert response.status_code == 422
    assert "Choose one of the options" in text_of(response.get_data(as_text=True))
    found = contractor(app, user.id)
    assert (found.opt_outs, found.sensitive_consent_at) == ([], None)


def test_a_credential_is_submitted_and_listed_pending(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    response = post_form(
        user.client,
        "/portal/credentials",
        {
            "kind": "license",
            "code": "rn",
            "field": "Nursing",
            "issuer": "Nursing Council of Kenya",
            "issued_on": "2021-03-01",
            "expires_on": "2027-02-28",
        },
    )
    assert response.status_code == 303
    with db.transaction(app) as session:
        credential = session.scalars(select(Credential)).one()
        assert (credential.contractor_id, credential.code, credential.status) == (
            user.id,
            "RN",
            "pending",
        )
        assert credential.expires_on == dt.date(2027, 2, 28)
    text = text_of(user.client.get("/portal/credentials").get_data(as_text=True))
    assert "Thank you. Your credential is waiting for review." in text
    assert "Professional licence: Registered nurse (RN)" in text  # a name, not a code
    assert "Waiting for review" in text
    assert "Nursing Council of Kenya" in text
    assert "28 Feb 2027" in text  # en_KE's medium date
    home = text_of(user.client.get("/portal/").get_data(as_text=True))
    assert "Credentials waiting for review: 1" in home


def test_a_language_credential_takes_an_iso_code(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    response = post_form(user.client, "/portal/credentials", {"kind": "language", "code": "SW"})
    assert response.status_code == 303
    with db.transaction(app) as session:
        assert session.scalars(select(Credential.code)).one() == "sw"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "", "code": "RN"}, "kind", "Choose what kind of credential this is."),
        ({"kind": "license", "code": ""}, "code", "Enter the code of the credential."),
        ({"kind": "license", "code": "R"}, "code", "Use 2 to 40 letters"),
        ({"kind": "license", "code": "1RN"}, "code", "Use 2 to 40 letters"),
        ({"kind": "language", "code": "xx"}, "code", "Enter a language code"),
        (
            {"kind": "degree", "code": "PHD", "issued_on": "31/12/2020"},
            "issued_on",
            "year-month-day",
        ),
        (
            {
                "kind": "degree",
                "code": "PHD",
                "issued_on": "2020-01-02",
                "expires_on": "2020-01-01",
            },
            "expires_on",
            "cannot be before",
        ),
        ({"kind": "degree", "code": "PHD", "issuer": "x" * 201}, "issuer", "at most 200"),
    ],
)
def test_a_wrong_credential_is_explained_next_to_its_field(
    app, portal_user, data, field, message
) -> None:
    user = portal_user(locale="en_KE")
    response = post_form(user.client, "/portal/credentials", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert f'aria-describedby="{field}-error"' in html or f'{field}-hint {field}-error"' in html
    assert message in text_of(html)
    with db.transaction(app) as session:
        assert session.scalars(select(Credential)).first() is None


def test_expired_and_soon_expiring_credentials_say_so(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    today = dt.date.today()
    with db.transaction(app) as session:
        for code, expires in (
            ("RN", today - dt.timedelta(days=5)),
            ("JD", today + dt.timedelta(10)),
        ):
            credential = submit_credential(
                session, user.id, {"kind": "license", "code": code, "expires_on": expires}
            )
            credential.status = "verified"
    text = text_of(user.client.get("/portal/credentials").get_data(as_text=True))
    assert "Expired" in text
    assert "Expires soon" in text
    assert "Credentials that expire within 30 days: 1" in text_of(
        user.client.get("/portal/").get_data(as_text=True)
    )


def test_another_contractors_data_is_never_shown(app, portal_user) -> None:
    me = portal_user(full_name="Amina Otieno", locale="en_KE")
    them = portal_user(full_name="Brian Kamau", email="brian@example.org", locale="en_KE")
    with db.transaction(app) as session:
        submit_credential(
            session, them.id, {"kind": "degree", "code": "BRIANS_PHD", "issuer": "Brian's Univ"}
        )
    post_form(them.client, "/portal/profile", {"form": "consent", "sensitive": "yes"})
    for path in ("/portal/", "/portal/profile", "/portal/credentials"):
        html = me.client.get(path).get_data(as_text=True)
        for secret in ("Brian", "brian@example.org", "BRIANS_PHD", "You agreed on"):
            assert secret not in html, (path, secret)
        # Nothing in the portal takes a contractor id: asking for another one changes nothing.
        html = me.client.get(f"{path}?contractor_id={them.id}&id={them.id}").get_data(True)
        assert "Brian" not in html


def test_every_input_has_a_label(portal_user) -> None:
    user = portal_user(locale="en_KE")
    pages = ["/portal/", "/portal/profile", "/portal/credentials"]
    for path in pages:
        html = user.client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<(?:input|select)\b[^>]*>", html):
            if 'type="hidden"' in tag:
                continue
            ident = re.search(r'id="([^"]+)"', tag)
            assert ident, (path, tag)
            assert f'<label for="{ident.group(1)}"' in html, (path, tag)
