"""The calendar feed: a secret URL, served without a token, parsed by ``icalendar``."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from tests.scheduling.conftest import API, iso, soon
from workforce import db
from workforce.scheduling.feed import render_feed
from workforce.scheduling.models import CalendarFeed

NEW_YORK = ZoneInfo("America/New_York")


def feed_path(client, headers) -> str:
    response = client.get(f"{API}/me/calendar", headers=headers)
    assert response.status_code == 200, response.json
    url = response.json["url"]
    assert response.json["webcal_url"] == url.replace("http://", "webcal://", 1)
    return urlsplit(url).path


def fetch(client, path: str) -> Calendar:
    response = client.get(path)  # no Authorization header: phone calendars send none
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_feed_round_trips_shift_instants_across_dst(
    app, client, ops, as_role, new_contractor, plan
):
    cid = new_contractor(country="US", subdivision="US-NY", timezone="America/New_York")
    me = as_role("contractor", cid)
    second_half_past_one = dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)
    planned = [
        plan(cid, second_half_past_one).json,  # starts in the repeated hour (EST)
        plan(cid, dt.datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK), hours=7).json,  # over the gap
        plan(cid, dt.datetime(2026, 11, 5, 0, 30, tzinfo=NEW_YORK)).json,
        plan(cid, soon(2)).json,
    ]
    assert planned[0]["starts_at"] == "2026-11-01T06:30:00+00:00"
    # render as of a fixed instant so the DST shifts are inside the feed window whenever
    # the suite runs; then once more through HTTP with the real clock
    path = feed_path(client, me)
    with app.app_context():
        secret = path.removeprefix("/calendar/").removesuffix(".ics")
        with db.get_db(app).reader() as session:
            text = render_feed(session, secret, dt.datetime(2026, 2, 20, tzinfo=dt.UTC))
    calendar = Calendar.from_ical(text)
    assert calendar["VERSION"] == "2.0"
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "America/New_York"
    found = events(calendar)
    assert len(found) == 4
    for shift in planned:
        event = found[f"shift-{shift['id']}@workforce"]
        assert event.decoded("DTSTART") == dt.datetime.fromisoformat(shift["starts_at"])
        assert event.decoded("DTEND") == dt.datetime.fromisoformat(shift["ends_at"])
        assert int(event["SEQUENCE"]) == 0
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == "General labelling"
    live = events(fetch(client, path))
    last = live[f"shift-{planned[3]['id']}@workforce"]
    assert last.decoded("DTSTART") == dt.datetime.fromisoformat(planned[3]["starts_at"])


def test_changes_bump_sequence_and_cancellations_stay_as_cancelled(
    client, ops, as_role, new_contractor, plan
) -> None:
    cid = new_contractor(locale="sw_KE")
    me = as_role("contractor", cid)
    start = soon(3)
    moved, cancelled, kept = (plan(cid, start + dt.timedelta(days=n)).json for n in range(3))
    later = start + dt.timedelta(days=0, hours=1)
    client.patch(
        f"{API}/shifts/{moved['id']}",
        json={"starts_at": iso(later), "ends_at": iso(later + dt.timedelta(hours=8))},
        headers=ops,
    )
    client.post(f"{API}/shifts/{cancelled['id']}/cancel", json={"reason": "x"}, headers=ops)
    found = events(fetch(client, feed_path(client, me)))
    assert len(found) == 3
    moved_event = found[f"shift-{moved['id']}@workforce"]
    assert int(moved_event["SEQUENCE"]) == 1
    assert moved_event.decoded("DTSTART") == later
    cancelled_event = found[f"shift-{cancelled['id']}@workforce"]
    assert str(cancelled_event["STATUS"]) == "CANCELLED"
    assert int(cancelled_event["SEQUENCE"]) == 1
    assert int(found[f"shift-{kept['id']}@workforce"]["SEQUENCE"]) == 0
    # local wall time in the contractor's zone, with its VTIMEZONE
    assert found[f"shift-{kept['id']}@workforce"]["DTSTART"].params["TZID"] == "Africa/Nairobi"


def test_rotating_the_secret_retires_the_old_url(app, client, as_role, new_contractor) -> None:
    cid = new_contractor()
    me = as_role("contractor", cid)
    old = feed_path(client, me)
    assert feed_path(client, me) == old  # stable until rotated
    fetch(client, old)
    rotated = client.post(f"{API}/me/calendar/rotate", headers=me)
    assert rotated.status_code == 200
    new = urlsplit(rotated.json["url"]).path
    assert new != old
    gone = client.get(old)
    assert gone.status_code == 404
    assert gone.mimetype == "application/problem+json"
    assert gone.json["code"] == "calendar_not_found"
    fetch(client, new)
    assert feed_path(client, me) == new
    # only a hash of the secret is stored
    secret = new.removeprefix("/calendar/").removesuffix(".ics")
    with db.get_db(app).reader() as session:
        (feed,) = session.scalars(select(CalendarFeed)).all()
    assert secret not in {feed.secret_hash, feed.salt}
    assert feed.rotated_at is not None


def test_an_offboarded_contractors_feed_is_404(client, ops, as_role, new_contractor) -> None:
    cid = new_contractor()
    path = feed_path(client, as_role("contractor", cid))
    fetch(client, path)
    assert (
        client.post(f"/api/v1/contractors/{cid}/offboard", json={}, headers=ops).status_code == 200
    )
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["code"] == "calendar_not_found"


def test_unknown_and_malformed_secrets_are_404(client) -> None:
    for path in (
        "/calendar/" + "A" * 43 + ".ics",
        "/calendar/short.ics",
        "/calendar/" + "%00" * 43 + ".ics",
        "/calendar/.ics",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"


def test_a_new_secret_key_changes_every_url(app, client, as_role, new_contractor) -> None:
    me = as_role("contractor", new_contractor())
    before = feed_path(client, me)
    app.config["SECRET_KEY"] = "rotated-in-production"
    after = feed_path(client, me)
    assert after != before
    assert client.get(before).status_code == 404
    fetch(client, after)


def test_only_contractors_have_a_feed(client, ops) -> None:
    assert client.get(f"{API}/me/calendar", headers=ops).status_code == 403
    assert client.post(f"{API}/me/calendar/rotate", headers=ops).status_code == 403
    assert client.get(f"{API}/me/calendar").status_code == 401


def test_a_reassigned_shift_stays_in_the_old_feed_as_cancelled(
    client, ops, as_role, new_contractor, plan
) -> None:
    first, second = new_contractor(), new_contractor()
    shift = plan(first, soon(2)).json
    uid = f"shift-{shift['id']}@workforce"
    first_feed = feed_path(client, as_role("contractor", first))
    second_feed = feed_path(client, as_role("contractor", second))
    assert str(events(fetch(client, first_feed))[uid]["STATUS"]) == "CONFIRMED"

    response = client.patch(
        f"{API}/shifts/{shift['id']}", json={"contractor_id": second}, headers=ops
    )
    assert response.status_code == 200, response.json
    old = events(fetch(client, first_feed))[uid]
    assert str(old["STATUS"]) == "CANCELLED"
    assert int(old["SEQUENCE"]) == 1  # newer than what the calendar app holds: it drops it
    assert old.decoded("DTSTART") == dt.datetime.fromisoformat(shift["starts_at"])
    new = events(fetch(client, second_feed))[uid]
    assert (str(new["STATUS"]), int(new["SEQUENCE"])) == ("CONFIRMED", 1)

    # given back (moved an hour later on the way): live again for the first, gone for the second
    later = dt.datetime.fromisoformat(shift["starts_at"]) + dt.timedelta(hours=1)
    response = client.patch(
        f"{API}/shifts/{shift['id']}",
        json={
            "contractor_id": first,
            "starts_at": iso(later),
            "ends_at": iso(later + dt.timedelta(hours=8)),
        },
        headers=ops,
    )
    assert response.status_code == 200, response.json
    back = events(fetch(client, first_feed))[uid]
    assert (str(back["STATUS"]), int(back["SEQUENCE"])) == ("CONFIRMED", 2)
    assert back.decoded("DTSTART") == later
    gone = events(fetch(client, second_feed))[uid]
    assert (str(gone["STATUS"]), int(gone["SEQUENCE"])) == ("CANCELLED", 2)

    # opened for anyone to claim: cancelled for the first again
    response = client.patch(
        f"{API}/shifts/{shift['id']}", json={"contractor_id": None}, headers=ops
    )
    assert response.status_code == 200, response.json
    assert str(events(fetch(client, first_feed))[uid]["STATUS"]) == "CANCELLED"
