"""The work pages: schedule, exposure, rotations, check-ins, pay, notifications, calendar.

Each test signs a contractor in, builds their data (and another contractor's) through the
services, and asserts what the page shows: their own data only, in their language.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from tests.factories import make_queue, make_shift, make_token
from tests.pay.conftest import PayData
from tests.portal.conftest import csrf, post_form, text_of
from workforce import db
from workforce.contractors.models import Contractor
from workforce.exposure.ingest import ingest
from workforce.notifications.models import Notification
from workforce.notifications.services import notify_once
from workforce.rotations.models import Rotation
from workforce.rotations.services import start_rotation
from workforce.scheduling.models import CalendarFeed
from workforce.shifts.models import Shift
from workforce.wellbeing.models import CheckIn, Referral

NAIROBI = ZoneInfo("Africa/Nairobi")
#: A Wednesday: this week is 7-13 December 2026 (Jamhuri Day, Saturday 12), next 14-20.
NOW = dt.datetime(2026, 12, 9, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def pay(app) -> PayData:
    return PayData(app)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The portal's clock (sign-in, sessions, pages) stands at ``NOW``."""
    monkeypatch.setattr(db, "utcnow", lambda: NOW)
    return NOW


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NAIROBI)


# --- schedule ----------------------------------------------------------------------------------


def test_schedule_shows_this_week_and_next_in_swahili_with_the_holiday(
    app, frozen, portal_user
) -> None:
    user = portal_user(full_name="Grace Wambui", locale="sw_KE", country="KE")
    other = portal_user(locale="sw_KE", country="KE")
    gore = make_queue(app, slug="gore", tier=3)
    make_shift(app, user.id, gore, local(2026, 12, 9, 9), hours=8)
    # into Sunday, from the holiday
    make_shift(app, user.id, gore, local(2026, 12, 12, 22), hours=8)
    make_shift(app, user.id, gore, local(2026, 12, 15, 9), hours=8, status="cancelled")
    make_shift(app, other.id, make_queue(app, slug="hate", tier=2), local(2026, 12, 10, 6), hours=4)
    # the week after next: not shown
    make_shift(app, user.id, gore, local(2026, 12, 22, 9), hours=8)
    response = user.client.get("/portal/schedule")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "Ratiba yangu" in text
    assert "Wiki hii" in text and "Wiki ijayo" in text
    assert "Jumatano, 9 Desemba 2026" in text
    assert "09:00–17:00 Gore" in text
    assert "Jumamosi, 12 Desemba 2026" in text
    assert re.search(r"Sikukuu ya umma: \w", text)
    assert "22:00–00:00 Gore" in text and "00:00–06:00 Gore" in text
    assert "Imeghairiwa" in text  # the cancelled shift, marked
    assert "Hate" not in text  # another contractor's shift
    assert "22 Desemba" not in text
    assert 'aria-current="date"' in html
    assert html.count('<li class="day') == 14


def test_schedule_in_english_on_request_keeps_the_local_clock(app, frozen, portal_user) -> None:
    user = portal_user(locale="sw_KE", country="KE")
    make_shift(app, user.id, make_queue(app, slug="gore", tier=3), local(2026, 12, 9, 9), hours=8)
    text = text_of(user.client.get("/portal/schedule?lang=en").get_data(as_text=True))
    assert "Wednesday, 9 December 2026" in text
    assert "09:00–17:00" in text  # Nairobi time, not 06:00 UTC
    assert "Public holiday:" in text


ZONES = [
    "Africa/Nairobi",
    "Asia/Manila",
    "America/Mexico_City",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/London",
]


def test_a_shift_is_shown_on_its_local_day_at_its_local_time(app, frozen, portal_user) -> None:
    """Whatever the zone, the fortnight starts on the local Monday and a shift shows under
    the local date it starts on, at its local start time."""
    user = portal_user(locale="en_KE", country="KE")
    gore = make_queue(app, slug="gore", tier=3)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        zone=st.sampled_from(ZONES),
        minutes=st.integers(0, 14 * 24 * 60 - 1),
        hours=st.integers(1, 12),
    )
    def check(zone: str, minutes: int, hours: int) -> None:
        tz = ZoneInfo(zone)
        today = NOW.astimezone(tz).date()
        monday = today - dt.timedelta(days=today.weekday())
        starts = dt.datetime.combine(monday, dt.time(), tz).astimezone(dt.UTC) + dt.timedelta(
            minutes=minutes
        )
        with db.transaction(app) as session:
            session.execute(delete(Shift))
            session.execute(
                update(Contractor).where(Contractor.id == user.id).values(timezone=zone)
            )
        make_shift(app, user.id, gore, starts, hours=hours)
        html = user.client.get("/portal/schedule?lang=en").get_data(as_text=True)
        days = [text_of(part) for part in html.split('<li class="day')[1:]]
        assert len(days) == 14
        assert format_date(monday, "full", locale="en_KE") in days[0]
        local_start = starts.astimezone(tz)
        index = (local_start.date() - monday).days
        if index < 14:  # a DST day can push the last minutes past the fortnight
            assert format_date(local_start.date(), "full", locale="en_KE") in days[index]
            assert f"{local_start:%H:%M}–" in days[index]

    check()


# --- exposure ----------------------------------------------------------------------------------


def test_exposure_budget_shows_today_the_week_and_the_break(app, frozen, portal_user) -> None:
    user = portal_user(locale="en_KE", country="KE")
    other = portal_user(locale="en_KE", country="KE")
    make_queue(app, slug="gore", tier=3)
    with app.test_request_context(), db.transaction(app) as session:
        from workforce.contractors.services import set_consent

        for cid in (user.id, other.id):
            set_consent(session, cid, True)
        token = make_token(session, "ingest", name="platform")
        events = [
            # 70 minutes without a pause, ending 5 minutes ago: a 15-minute break is due.
            {
                "event_id": "a",
                "contractor_id": user.id,
                "queue": "gore",
                "category": "violence_gore",
                "started_at": (NOW - dt.timedelta(minutes=75)).isoformat(),
                "duration_seconds": 70 * 60,
            },
            {
                "event_id": "b",
                "contractor_id": other.id,
                "queue": "gore",
                "category": "violence_gore",
                "started_at": (NOW - dt.timedelta(minutes=200)).isoformat(),
                "duration_seconds": 190 * 60,
            },
        ]
        ingest(session, token.id, events, now=NOW)
    text = text_of(user.client.get("/portal/exposure").get_data(as_text=True))
    assert "Tier 3: the most disturbing content" in text
    assert "Today so far 70 mins" in text
    assert "Left today 170 mins (of 240 mins)" in text
    assert "Take a break now" in text
    # the break ends 15 minutes after the run (10:55 + 15 in Nairobi)
    assert "until 11:10" in text
    assert "Days in a row with disturbing content 1" in text
    assert "190" not in text  # the other contractor's minutes


# --- rotations ---------------------------------------------------------------------------------


def rotate(app, contractor_id: int, reason: str = "daily_limit") -> int:
    with app.test_request_context(), db.transaction(app) as session:
        return start_rotation(
            session,
            contractor_id=contractor_id,
            reason=reason,
            started_at=NOW - dt.timedelta(hours=1),
            ends_at=NOW + dt.timedelta(hours=47),
            explanation={
                "rule": reason,
                "tier": 3,
                "policy_version": 1,
                "measured": 250,
                "limit": 240,
                "unit": "minutes",
            },
        ).id


def test_rotation_explained_in_swahili_and_reviewed_on_request(app, frozen, portal_user) -> None:
    user = portal_user(locale="sw_KE", country="KE")
    other = portal_user(locale="sw_KE", country="KE")
    mine, theirs = rotate(app, user.id), rotate(app, other.id)
    text = text_of(user.client.get("/portal/rotations").get_data(as_text=True))
    assert "Mfiduo wako wa leo wa daraja 3 umefikia 250" in text
    assert "Kikomo cha siku kimefikiwa" in text  # the reason, translated
    # Empty comment: refused, nothing stored.
    empty = post_form(user.client, "/portal/rotations", {"rotation": str(mine), "comment": " "})
    assert empty.status_code == 422
    # Another contractor's rotation: a 404, and theirs is untouched.
    stolen = post_form(user.client, "/portal/rotations", {"rotation": str(theirs), "comment": "x"})
    assert stolen.status_code == 404
    asked = post_form(
        user.client, "/portal/rotations", {"rotation": str(mine), "comment": "Nilikuwa sawa"}
    )
    assert asked.status_code == 303
    page = text_of(user.client.get("/portal/rotations").get_data(as_text=True))
    assert "Ukaguzi umeombwa" in page
    again = post_form(user.client, "/portal/rotations", {"rotation": str(mine), "comment": "x"})
    assert again.status_code == 409
    with db.transaction(app) as session:
        rows = {r.id: r for r in session.scalars(select(Rotation))}
    assert (rows[mine].review_status, rows[mine].review_comment) == ("requested", "Nilikuwa sawa")
    assert rows[theirs].review_status is None


def test_a_form_without_its_csrf_token_is_refused(app, frozen, portal_user) -> None:
    user = portal_user(locale="en_KE")
    mine = rotate(app, user.id)
    for path, data in (
        ("/portal/rotations", {"rotation": str(mine), "comment": "please"}),
        ("/portal/checkins/who5", {f"q{i}": "3" for i in range(1, 6)}),
        ("/portal/calendar", {}),
        ("/portal/notifications", {"notification": "1"}),
    ):
        response = user.client.post(path, data=data)
        assert response.status_code == 400, path
        assert "This form has expired" in text_of(response.get_data(as_text=True))
        forged = user.client.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 400, path
    with db.transaction(app) as session:
        assert session.get(Rotation, mine).review_status is None
        assert session.scalars(select(CheckIn)).all() == []
        assert session.scalars(select(CalendarFeed)).all() == []


# --- check-ins ---------------------------------------------------------------------------------


def test_checkin_form_is_labelled_and_scored_for_the_contractor(app, frozen, portal_user) -> None:
    user = portal_user(locale="es_MX", country="MX", timezone="America/Mexico_City")
    html = user.client.get("/portal/checkins/who5").get_data(as_text=True)
    assert html.count("<fieldset") == 5 and html.count("<legend>") == 5
    for match in re.finditer(r'<input type="radio" id="([^"]+)"', html):
        assert f'<label for="{match.group(1)}">' in html
    assert "I have felt calm and relaxed" in html  # the published wording
    missing = post_form(user.client, "/portal/checkins/who5", {"q1": "5", "q2": "4"})
    assert missing.status_code == 422
    assert "Responde todas las preguntas" in text_of(missing.get_data(as_text=True))
    answers = {"q1": "4", "q2": "4", "q3": "3", "q4": "4", "q5": "5"}
    done = post_form(user.client, "/portal/checkins/who5", answers)
    assert done.status_code == 303
    result = user.client.get(done.headers["Location"])
    text = text_of(result.get_data(as_text=True))
    assert "Puntuación 80 (de 0 a 100)" in text
    assert "Buen bienestar" in text
    assert "consejero" not in text.split("Puntuación")[0]  # not flagged: no referral notice
    assert result.headers["Cache-Control"] == "no-store"
    listing = text_of(user.client.get("/portal/checkins").get_data(as_text=True))
    assert "WHO-5" in listing and "80" in listing


def test_a_who5_that_fell_10_points_says_a_counsellor_will_get_in_touch(
    app, frozen, portal_user
) -> None:
    user = portal_user(locale="es_MX", country="MX", timezone="America/Mexico_City")
    first = post_form(user.client, "/portal/checkins/who5", {f"q{i}": "5" for i in range(1, 6)})
    text = text_of(user.client.get(first.headers["Location"]).get_data(as_text=True))
    assert "más baja" not in text and "se pondrá en contacto" not in text  # the first
    second = post_form(user.client, "/portal/checkins/who5", {f"q{i}": "3" for i in range(1, 6)})
    assert second.status_code == 303
    text = text_of(user.client.get(second.headers["Location"]).get_data(as_text=True))
    assert "Tu puntuación de bienestar es más baja que en tu último cuestionario" in text
    assert "Buen bienestar" in text  # 60 is not flagged: the fall opened the referral
    with db.transaction(app) as session:
        referral = session.scalars(select(Referral)).one()
    assert referral.worsening is not None and referral.worsening["drop"] == 40


def test_phq9_item_9_shows_the_support_message_and_opens_an_urgent_referral(
    app, frozen, portal_user
) -> None:
    user = portal_user(locale="sw_KE", country="KE")
    answers = {f"q{i}": "0" for i in range(1, 10)} | {"q9": "1"}
    done = post_form(user.client, "/portal/checkins/phq9", answers)
    assert done.status_code == 303
    page = user.client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'role="alert"' in page
    text = text_of(page)
    assert "Mshauri atawasiliana nawe hivi karibuni" in text
    assert "nambari ya dharura" in text
    with db.transaction(app) as session:
        check_in = session.scalars(select(CheckIn)).one()
        assert (check_in.contractor_id, check_in.urgent, check_in.answers[8]) == (user.id, True, 1)
        assert session.scalars(select(Referral)).one().urgent is True


def test_a_checkin_result_is_seen_only_by_its_contractor(app, frozen, portal_user) -> None:
    user, other = portal_user(locale="en_KE"), portal_user(locale="en_KE")
    done = post_form(user.client, "/portal/checkins/gad7", {f"q{i}": "2" for i in range(1, 8)})
    location = done.headers["Location"]
    assert user.client.get(location).status_code == 200
    seen = other.client.get(location)
    assert seen.status_code == 404
    assert "14" not in text_of(seen.get_data(as_text=True))
    listing = text_of(other.client.get("/portal/checkins").get_data(as_text=True))
    assert "You have not checked in yet." in listing
    assert user.client.get("/portal/checkins/nope").status_code == 404


# --- pay ---------------------------------------------------------------------------------------


def test_pay_lists_final_statements_in_the_locale_and_serves_the_slip(
    app, client, ops, pay, portal_user
) -> None:
    pay.example_wages()
    user = portal_user(locale="sw_KE", country="KE")
    other = portal_user(locale="sw_KE", country="KE")
    tier1 = pay.queue(tier=1)
    statements = {}
    for cid in (user.id, other.id):
        pay.shift(cid, tier1, local(2026, 10, 19, 20), local(2026, 10, 20, 4))
        body = {"period_start": "2026-10-01", "period_end": "2026-10-31"}
        made = client.post(f"/api/v1/contractors/{cid}/pay-statements", json=body, headers=ops)
        assert made.status_code == 201, made.json
        statements[cid] = made.json["id"]
    draft_only = client.post(
        f"/api/v1/contractors/{user.id}/pay-statements",
        json={"period_start": "2026-09-01", "period_end": "2026-09-30"},
        headers=ops,
    ).json["id"]
    for cid in (user.id, other.id):
        client.post(f"/api/v1/pay-statements/{statements[cid]}/finalize", headers=ops)
    html = user.client.get("/portal/pay").get_data(as_text=True)
    text = text_of(html)
    assert "Ksh 2,700.10" in text.replace("\xa0", " ")
    assert "1 Okt 2026" in text
    assert text.count("Pakua hati ya malipo (PDF)") == 1  # the draft is not shown
    slip = user.client.get(f"/portal/pay/{statements[user.id]}.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    assert slip.data.startswith(b"%PDF-") and b"/Lang (sw" in slip.data
    named = slip.headers["Content-Disposition"]  # the one download helper (issue 23)
    assert named.startswith('attachment; filename="pay-statement_2026-')
    assert named.endswith(f'_no-{statements[user.id]}.pdf"')
    assert user.client.get(f"/portal/pay/{statements[other.id]}.pdf").status_code == 404
    assert user.client.get(f"/portal/pay/{draft_only}.pdf").status_code == 404
    signed_out = app.test_client().get(f"/portal/pay/{statements[user.id]}.pdf")
    assert signed_out.status_code == 303


# --- notifications -----------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(app, frozen, portal_user) -> None:
    user = portal_user(locale="fil_PH", country="PH")
    other = portal_user(locale="fil_PH", country="PH")
    with db.transaction(app) as session:
        # The invite and "password changed" notices of signing up are not this test's subject.
        session.execute(delete(Notification))
        for cid in (user.id, other.id):
            notify_once(
                session,
                kind="checkin.reminder",
                audience="contractor",
                dedupe_key=f"r:{cid}",
                payload={"interval_days": 14},
                contractor_id=cid,
            )
        notify_once(
            session,
            kind="credential.expiring",
            audience="contractor",
            dedupe_key="c",
            payload={"code": "RN", "expires_on": "2027-01-05"},
            contractor_id=user.id,
        )
        notify_once(
            session,
            kind="referral.opened",
            audience="wellbeing",
            dedupe_key="w",
            payload={"referral_id": 1},
            contractor_id=user.id,
        )
        ids = {
            n.contractor_id: n.id
            for n in session.scalars(
                select(Notification).where(Notification.dedupe_key.like("r:%"))
            )
        }
    text = text_of(user.client.get("/portal/notifications").get_data(as_text=True))
    assert "RN" in text and "Enero 5, 2027" in text
    assert text.count("Markahan bilang nabasa na") == 2  # two, the counsellors' one not shown
    assert (
        post_form(
            user.client, "/portal/notifications", {"notification": str(ids[other.id])}
        ).status_code
        == 404
    )
    done = post_form(user.client, "/portal/notifications", {"notification": str(ids[user.id])})
    assert done.status_code == 303
    with db.transaction(app) as session:
        assert session.get(Notification, ids[user.id]).read_at is not None
        assert session.get(Notification, ids[other.id]).read_at is None


# --- calendar ----------------------------------------------------------------------------------


def test_calendar_link_and_rotation(app, client, frozen, portal_user) -> None:
    user = portal_user(locale="en_KE")
    html = user.client.get("/portal/calendar").get_data(as_text=True)
    url = re.search(r'id="feed-url" value="([^"]+)"', html).group(1)
    assert re.fullmatch(r"http://.+/calendar/[A-Za-z0-9_-]{43}\.ics", url)
    assert 'href="webcal://' in html
    path = url.split("://", 1)[1].partition("/")[2]
    assert client.get("/" + path).status_code == 200
    assert post_form(user.client, "/portal/calendar").status_code == 303
    page = user.client.get("/portal/calendar").get_data(as_text=True)
    new = re.search(r'id="feed-url" value="([^"]+)"', page).group(1)
    assert new != url
    assert client.get("/" + path).status_code == 404
    assert "The old one no longer works" in text_of(page)


def test_every_new_page_is_in_the_menu_and_needs_a_session(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    home = user.client.get("/portal/").get_data(as_text=True)
    for path in (
        "/portal/schedule",
        "/portal/exposure",
        "/portal/rotations",
        "/portal/checkins",
        "/portal/pay",
        "/portal/notifications",
        "/portal/calendar",
    ):
        assert f'href="{path}"' in home
        assert user.client.get(path).status_code == 200, path
        assert app.test_client().get(path).status_code == 303, path
    assert csrf(user.client, "/portal/rotations")
