"""The portal's availability and time-off pages: the same services as ``/me/availability``
and ``/me/time-off``, in the contractor's language."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_queue, make_shift
from tests.portal.conftest import post_form, text_of
from workforce import db
from workforce.contractors.models import Contractor
from workforce.scheduling import availability, time_off
from workforce.scheduling.models import TimeOffRequest
from workforce.translation import translations


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


def _row_names(html: str, day: int) -> list[str]:
    return re.findall(rf'name="(d{day}_[0-9]+_start)"', html)


def test_a_day_takes_as_many_windows_as_needed_without_javascript(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    html = user.client.get("/portal/availability").get_data(as_text=True)
    assert _row_names(html, 0) == ["d0_0_start"]  # one empty row a day
    assert 'value="add-0"' in html and "<script" not in html
    # "Add a time" sends the form back with a row more, keeping what was typed, unsaved
    added = post_form(
        user.client,
        "/portal/availability",
        {"d0_0_start": "06:00", "d0_0_end": "09:00", "action": "add-0"},
    )
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert _row_names(html, 0) == ["d0_0_start", "d0_1_start"]
    assert 'value="06:00"' in html
    assert _windows(app, user.id) == []
    html = post_form(
        user.client,
        "/portal/availability",
        {"d0_0_start": "06:00", "d0_0_end": "09:00", "d0_1_start": "", "action": "add-0"},
    ).get_data(as_text=True)
    assert _row_names(html, 0) == ["d0_0_start", "d0_1_start", "d0_2_start"]
    form = {
        "d0_0_start": "06:00",
        "d0_0_end": "09:00",
        "d0_1_start": "12:00",
        "d0_1_end": "14:00",
        "d0_2_start": "18:00",
        "d0_2_end": "22:00",
        "d3_0_start": "10:00",
        "d3_0_end": "11:00",
    }
    assert post_form(user.client, "/portal/availability", form).status_code == 303
    assert [(w["weekday"], w["start"]) for w in _windows(app, user.id)] == [
        (0, "06:00"),
        (0, "12:00"),
        (0, "18:00"),
        (3, "10:00"),
    ]
    # shown again: every window, and one empty row a day to add another
    html = user.client.get("/portal/availability").get_data(as_text=True)
    assert _row_names(html, 0) == [f"d0_{n}_start" for n in range(4)]
    assert _row_names(html, 3) == ["d3_0_start", "d3_1_start"]
    assert 'value="22:00"' in html
    # "Remove" drops the row and numbers the rest again, unsaved until Save
    removed = post_form(user.client, "/portal/availability", {**form, "action": "remove-0-1"})
    assert removed.status_code == 200
    html = removed.get_data(as_text=True)
    assert _row_names(html, 0) == ["d0_0_start", "d0_1_start"]
    assert re.search(r'id="d0_1_start" name="d0_1_start" type="text" value="18:00"', html)
    assert len(_windows(app, user.id)) == 4
    kept = {k: v for k, v in form.items() if not k.startswith("d0_2")}
    kept.update({"d0_1_start": "18:00", "d0_1_end": "22:00"})
    assert post_form(user.client, "/portal/availability", kept).status_code == 303
    assert [w["start"] for w in _windows(app, user.id)] == ["06:00", "18:00", "10:00"]


def test_an_error_in_an_added_row_is_shown_next_to_its_field(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    response = post_form(
        user.client,
        "/portal/availability",
        {
            "d2_0_start": "08:00",
            "d2_0_end": "10:00",
            "d2_1_start": "11:00",
            "d2_1_end": "12:00",
            "d2_2_start": "12:30",
            "d2_2_end": "12:15",  # before its start
            "d2_3_start": "",
            "d2_3_end": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _row_names(html, 2) == [f"d2_{n}_start" for n in range(4)]  # as sent
    invalid = re.findall(r'id="(d\d_\d+_\w+)" name="[^"]+" type="text"[^>]*aria-invalid', html)
    assert invalid == ["d2_2_end"]
    assert 'id="d2_2_end-error"' in html
    assert 'value="12:15"' in html
    assert _windows(app, user.id) == []
    too_many = {
        f"d{day}_{row}_{edge}": f"{8 + row:02d}:{'00' if edge == 'start' else '30'}"
        for day in range(7)
        for row in range(5)
        for edge in ("start", "end")
    }
    refused = post_form(user.client, "/portal/availability", too_many)
    assert refused.status_code == 422
    assert "You can give at most 28 times a week." in text_of(refused.get_data(as_text=True))


@pytest.mark.parametrize(
    ("locale", "language"), [("sw_KE", "sw"), ("fil_PH", "fil"), ("es_CO", "es")]
)
def test_the_rows_and_their_errors_speak_every_portal_language(
    app, portal_user, locale, language
) -> None:
    user = portal_user(locale=locale)
    said = translations(language).gettext
    for text in ("Add a time", "Remove", "Check this value.", "Write the time as HH:MM."):
        assert said(text) != text, (language, text)
    added = post_form(
        user.client, "/portal/availability", {"d1_0_start": "09:00", "action": "add-1"}
    )
    page = text_of(added.get_data(as_text=True))
    assert said("Add a time") in page and said("Remove") in page
    bad = post_form(
        user.client,
        "/portal/availability",
        {"d1_0_start": "9am", "d1_0_end": "17:00", "d1_1_start": "17:00", "d1_1_end": "09:00"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert re.search(r'id="d1_0_start-error">' + re.escape(said("Write the time as HH:MM.")), html)
    fixed = post_form(
        user.client,
        "/portal/availability",
        {"d1_0_start": "09:00", "d1_0_end": "12:00", "d1_1_start": "17:00", "d1_1_end": "09:00"},
    )
    assert re.search(
        r'id="d1_1_end-error">' + re.escape(said("Check this value.")), fixed.get_data(as_text=True)
    )


def test_planned_shifts_outside_new_times_are_listed(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    nairobi = ZoneInfo("Africa/Nairobi")
    day = db.utcnow().astimezone(nairobi).date() + dt.timedelta(days=5)
    queue = make_queue(app, slug="text", name="Text review")
    make_shift(app, user.id, queue, dt.datetime.combine(day, dt.time(18), nairobi), hours=3)
    every_day = {
        f"d{d}_0_{e}": t for d in range(7) for e, t in (("start", "08:00"), ("end", "17:00"))
    }
    saved = post_form(user.client, "/portal/availability", every_day)
    assert saved.status_code == 303
    page = text_of(user.client.get("/portal/availability").get_data(as_text=True))
    assert "Some of your planned shifts are outside these times" in page
    assert "Planned shifts outside your times" in page
    assert "Text review" in page and "18:00" in page
    widened = {**every_day, **{f"d{d}_0_end": "24:00" for d in range(7)}}
    post_form(user.client, "/portal/availability", widened)
    page = text_of(user.client.get("/portal/availability").get_data(as_text=True))
    assert "Planned shifts outside your times" not in page
    assert "It applies to shifts planned from now on." in page


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
