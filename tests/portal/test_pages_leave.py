"""The portal's availability and time-off pages: the same services as ``/me/availability``
and ``/me/time-off``, in the contractor's language."""

from __future__ import annotations

import datetime as dt

from tests.portal.conftest import post_form, text_of
from workforce import db
from workforce.contractors.models import Contractor
from workforce.scheduling import availability, time_off
from workforce.scheduling.models import TimeOffRequest


def _windows(app, cid: int) -> list[dict]:
    with db.transaction(app) as session:
        return [w.as_dict() for w in availability.get_windows(session, cid)]


def test_availability_is_saved_shown_and_cleared(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    page = text_of(user.client.get("/portal/availability").get_data(as_text=True))
    assert "you may be planned at any time" in page
    assert "Africa/Nairobi" in page
    saved = post_form(
        user.client,
        "/portal/availability",
        {
            "d0_0_start": "09:00",
            "d0_0_end": "13:00",
            "d0_1_start": "14:00",
            "d0_1_end": "18:00",
            "d6_0_start": "22:00",
            "d6_0_end": "24:00",
        },
    )
    assert saved.status_code == 303
    assert _windows(app, user.id) == [
        {"weekday": 0, "start": "09:00", "end": "13:00"},
        {"weekday": 0, "start": "14:00", "end": "18:00"},
        {"weekday": 6, "start": "22:00", "end": "24:00"},
    ]
    html = user.client.get("/portal/availability").get_data(as_text=True)
    assert 'value="14:00"' in html and 'value="24:00"' in html
    assert "Monday" in text_of(html)
    cleared = post_form(user.client, "/portal/availability", {"form": "clear"})
    assert cleared.status_code == 303
    assert _windows(app, user.id) == []


def test_bad_availability_is_explained_and_changes_nothing(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    for data in (
        {"d1_0_start": "9am", "d1_0_end": "17:00"},
        {"d1_0_start": "17:00", "d1_0_end": "09:00"},
        {"d1_0_start": "09:00", "d1_0_end": "13:00", "d1_1_start": "12:00", "d1_1_end": "14:00"},
    ):
        response = post_form(user.client, "/portal/availability", data)
        assert response.status_code == 422, data
        html = response.get_data(as_text=True)
        assert "Please correct the fields marked below." in text_of(html)
        assert 'aria-invalid="true"' in html
    assert _windows(app, user.id) == []


def test_time_off_is_asked_listed_and_withdrawn(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    asked = post_form(
        user.client,
        "/portal/time-off",
        {"starts_on": "2027-03-01", "ends_on": "2027-03-05", "kind": "wellbeing", "note": "rest"},
    )
    assert asked.status_code == 303
    page = text_of(user.client.get("/portal/time-off").get_data(as_text=True))
    assert "Wellbeing" in page
    assert "Waiting for a decision" in page
    assert "rest" in page
    clash = post_form(
        user.client,
        "/portal/time-off",
        {"starts_on": "2027-03-05", "ends_on": "2027-03-06", "kind": "vacation"},
    )
    assert clash.status_code == 422
    assert "These dates overlap another request." in text_of(clash.get_data(as_text=True))
    bad = post_form(
        user.client,
        "/portal/time-off",
        {"starts_on": "2027-03-09", "ends_on": "2027-03-08", "kind": "vacation"},
    )
    assert bad.status_code == 422
    with db.transaction(app) as session:
        (request,) = session.query(TimeOffRequest).all()
        request_id = request.id
    withdrawn = post_form(user.client, "/portal/time-off", {"cancel": str(request_id)})
    assert withdrawn.status_code == 303
    with db.transaction(app) as session:
        assert session.get(TimeOffRequest, request_id).status == "cancelled"
    again = post_form(user.client, "/portal/time-off", {"cancel": str(request_id)})
    assert again.status_code == 303
    assert "This request was already decided." in text_of(
        user.client.get("/portal/time-off").get_data(as_text=True)
    )


def test_a_decision_shows_with_its_answer_and_in_notifications(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    other = portal_user(locale="en_KE")
    with app.test_request_context(), db.transaction(app) as session:
        contractor = session.get(Contractor, user.id)
        request = time_off.request_time_off(
            session,
            contractor,
            {"starts_on": dt.date(2027, 4, 1), "ends_on": dt.date(2027, 4, 2), "kind": "sick"},
        )
        time_off.reject(session, request.id, "busy week, try the week after")
    page = text_of(user.client.get("/portal/time-off").get_data(as_text=True))
    assert "Not approved" in page
    assert "busy week, try the week after" in page
    notices = text_of(user.client.get("/portal/notifications").get_data(as_text=True))
    assert "was not approved" in notices
    # another contractor sees none of it, and cannot withdraw it
    assert "busy week" not in text_of(other.client.get("/portal/time-off").get_data(as_text=True))
    post_form(other.client, "/portal/time-off", {"cancel": str(request.id)})
    with db.transaction(app) as session:
        assert session.get(TimeOffRequest, request.id).status == "rejected"
