"""One request boundary for the portal and the API: a portal form post is retried on a
serialisation conflict as an API call is, and its database errors are the portal's HTML
page, in the contractor's language, with the status and ``Retry-After`` that the API sends
as problem+json. The faults are real: another connection's lock, an immutable file, errors
the database raises at COMMIT (tests/faults/helpers.py).

Each test rotates a contractor's calendar feed (``POST /portal/calendar``, or
``POST /api/v1/me/calendar/rotate``): one row of ``calendar_feeds`` and an audit row."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.conftest import bearer
from tests.faults.helpers import (
    failing_commits,
    immutable,
    rows_locked,
    sqlite_path,
    violated_at_commit,
    write_lock_held,
)
from tests.portal.conftest import accept, csrf, sign_in, text_of
from workforce import create_app, db
from workforce.contractors.models import Contractor
from workforce.portal.web import PORTAL_CSP
from workforce.scheduling.models import CalendarFeed
from workforce.translation import translations

VIA = ["portal", "api"]
#: A lock budget of 3 attempts x 1 s (``SQLITE_BUSY_TIMEOUT_MS``), for tests that wait it out.
ATTEMPT_SECONDS = 1.0
ROTATED = "Your calendar has a new address. The old one no longer works."
SORRY = "Something went wrong. Please try again."


@pytest.fixture
def served(app: Flask) -> Iterator[Flask]:
    """The service on the test database, with a short lock budget."""
    served = create_app({**app.config, "SQLITE_BUSY_TIMEOUT_MS": int(ATTEMPT_SECONDS * 1000)})
    yield served
    db.get_db(served).dispose()


@dataclass
class Subscriber:
    """A Swahili-speaking contractor with a calendar feed, signed in to the portal, with a
    contractor token for the API."""

    id: int
    portal: FlaskClient
    api: FlaskClient
    token: str

    def rotate(self, via: str, csrf_token: str) -> TestResponse:
        if via == "portal":
            return self.portal.post("/portal/calendar", data={"csrf_token": csrf_token})
        return self.api.post("/api/v1/me/calendar/rotate", headers=bearer(self.token))


@pytest.fixture
def subscriber(
    app: Flask,
    served: Flask,
    new_contractor: Callable[..., int],
    invite: Callable[[int], str],
    make_token: Callable[..., str],
) -> Subscriber:
    cid = new_contractor(locale="sw_KE")
    portal = served.test_client()
    assert accept(portal, invite(cid)).status_code == 303
    with db.transaction(app) as session:
        email = session.get(Contractor, cid).email
    assert sign_in(portal, email).status_code == 303
    assert portal.get("/portal/calendar").status_code == 200  # the feed exists from now on
    return Subscriber(cid, portal, served.test_client(), make_token("contractor", cid))


def feed(app: Flask, contractor_id: int) -> tuple[str, str, object]:
    with db.transaction(app) as session:
        row = session.scalars(
            select(CalendarFeed).where(CalendarFeed.contractor_id == contractor_id)
        ).one()
        return row.salt, row.secret_hash, row.rotated_at


def swahili(message: str) -> str:
    return translations("sw").gettext(message)


def assert_portal_page(response: TestResponse, status: int, retry_after: str | None) -> None:
    """The portal's error page in Swahili, with the API's status and ``Retry-After``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="sw">' in html
    assert swahili(SORRY) in text_of(html)
    assert response.headers.get("Retry-After") == retry_after
    assert response.headers["Content-Security-Policy"] == PORTAL_CSP
    assert "Set-Cookie" not in response.headers


def assert_problem(response: TestResponse, status: int, code: str, retry_after: str | None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["code"] == code
    assert response.headers.get("Retry-After") == retry_after


def assert_error(
    via: str, response: TestResponse, status: int, code: str, retry_after: str | None = None
) -> None:
    if via == "portal":
        assert_portal_page(response, status, retry_after)
    else:
        assert_problem(response, status, code, retry_after)


def assert_rotated(via: str, who: Subscriber, response: TestResponse) -> None:
    """Done, and (portal) the flash message shows once, though the view ran twice."""
    if via == "api":
        assert response.status_code == 200, response.json
        return
    assert response.status_code == 303, response.get_data(as_text=True)
    page = text_of(who.portal.get("/portal/calendar").get_data(as_text=True))
    assert page.count(swahili(ROTATED)) == 1, page


# --- a serialisation conflict: retried, then done ----------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_a_serialisation_failure_at_commit_is_retried_and_the_post_succeeds(
    app, subscriber, via
) -> None:
    """PostgreSQL fails the first COMMIT with 40001: the request runs again and commits
    (a portal post answered it as a problem+json 503)."""
    token = csrf(subscriber.portal, "/portal/calendar")
    before = feed(app, subscriber.id)
    with failing_commits(app, "calendar_feeds", "40001", times=1) as fired:
        response = subscriber.rotate(via, token)
        assert fired() == 2  # the failed commit, then the one that went through
    assert_rotated(via, subscriber, response)
    assert feed(app, subscriber.id) != before


@pytest.mark.parametrize("via", VIA)
def test_a_write_lock_released_during_the_request_is_waited_out(app, subscriber, via) -> None:
    """SQLite's "database is locked" is its serialisation conflict: another writer holds the
    lock for longer than one attempt waits, and the next attempt gets it (a portal post
    gave up after one wait, with a problem+json 503)."""
    path = sqlite_path(app)
    token = csrf(subscriber.portal, "/portal/calendar")
    started = time.monotonic()
    with write_lock_held(path, release_after=1.5 * ATTEMPT_SECONDS):
        response = subscriber.rotate(via, token)
    seconds = time.monotonic() - started
    assert_rotated(via, subscriber, response)
    assert seconds > ATTEMPT_SECONDS, seconds  # more than one attempt's wait: a retry


# --- a locked or unavailable database: 503, Retry-After, nothing written ---------------------


@pytest.mark.parametrize("via", VIA)
def test_a_locked_database_answers_503_in_budget_and_writes_nothing(app, subscriber, via) -> None:
    """A writer holds the lock for longer than the request's budget: SQLite's write lock,
    or PostgreSQL's row lock (where a portal post waited for as long as the holder)."""
    # chosen on the page: a request that cannot read the database cannot read the
    # contractor's locale either, but the cookie still names the language
    token = csrf(subscriber.portal, "/portal/calendar?lang=sw")
    before = feed(app, subscriber.id)
    if db.get_db(app).is_sqlite:
        locked = write_lock_held(sqlite_path(app))
    else:
        locked = rows_locked(app, "calendar_feeds")
    started = time.monotonic()
    with locked:
        response = subscriber.rotate(via, token)
    seconds = time.monotonic() - started
    assert_error(via, response, 503, "database_busy", retry_after="1")
    assert seconds < db.REQUEST_ATTEMPTS * ATTEMPT_SECONDS + 1.0, seconds
    assert feed(app, subscriber.id) == before


@pytest.mark.parametrize("via", VIA)
def test_an_unavailable_database_answers_503_and_writes_nothing(app, subscriber, via) -> None:
    """SQLite: the file turned read-only. PostgreSQL: the disk full at COMMIT (53100), which
    no retry mends."""
    token = csrf(subscriber.portal, "/portal/calendar?lang=sw")
    before = feed(app, subscriber.id)
    if db.get_db(app).is_sqlite:
        with immutable(sqlite_path(app)):
            response = subscriber.rotate(via, token)
    else:
        with failing_commits(app, "calendar_feeds", "53100", times=1) as fired:
            response = subscriber.rotate(via, token)
            assert fired() == 1  # not retried
    assert_error(via, response, 503, "database_unavailable", retry_after="5")
    assert feed(app, subscriber.id) == before


# --- a constraint the commit violates: 409 --------------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_a_constraint_violated_at_commit_is_a_409_and_writes_nothing(app, subscriber, via) -> None:
    """The page is in the contractor's own language (their locale: nothing chosen), and the
    API's answer is a 409 ``integrity_conflict`` (it was a 500)."""
    token = csrf(subscriber.portal, "/portal/calendar")
    before = feed(app, subscriber.id)
    with violated_at_commit(app, "calendar_feeds"):
        response = subscriber.rotate(via, token)
    assert_error(via, response, 409, "integrity_conflict")
    assert feed(app, subscriber.id) == before
