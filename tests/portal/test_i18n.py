"""Languages: every page in all four languages without English or raw codes, the choice,
the formats."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update

from tests.factories import make_contractor, make_queue, make_shift
from tests.portal.conftest import accept, csrf_from, post_form, sign_in, text_of
from tests.wording import raw_codes
from workforce import db
from workforce import translation as i18n
from workforce.contractors.credentials import submit_credential
from workforce.contractors.models import Credential
from workforce.i18n import TRANSLATIONS_DIR
from workforce.notifications.services import notify_once
from workforce.portal.web import use_language
from workforce.rotations.services import start_rotation
from workforce.scheduling.offers import offer_shift
from workforce.translation import LANGUAGES

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalog(lang: str):
    path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


# The catalogs themselves (complete, current, compiled) are tested for every domain and
# language in tests/test_translations.py.


# --- every page in every language ---------------------------------------------------------


def english_leftovers(lang: str, text: str) -> list[str]:
    """English source strings that show on a page that should be in ``lang``."""
    leftovers = []
    for message in catalog(lang):
        if not message.id or message.string == message.id:
            continue  # the same word in both languages ("Password" in Filipino)
        for piece in PLACEHOLDER.split(message.id):
            piece = piece.strip(" .,:;")
            long_enough = len(piece) >= (4 if piece == message.id.strip(" .,:;") else 12)
            if long_enough and re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text):
                leftovers.append(piece)
    return leftovers


def work_pages(app, user) -> dict[str, str]:
    """The work pages with something on each: shifts, a rotation, check-ins, notices."""
    now = db.utcnow()
    client = user.client
    with app.test_request_context(), db.transaction(app) as session:
        queue = make_queue(session, slug="gore", tier=3)
        for days, status in ((0, "scheduled"), (1, "cancelled"), (2, "completed")):
            starts = now + dt.timedelta(days=days)
            make_shift(session, user.id, queue, starts, hours=2, status=status)
        # shift offers: one of theirs on offer, a colleague's offered to them
        plain = make_queue(session, slug="plain")
        colleague = make_contractor(session)
        mine = make_shift(session, user.id, plain, now + dt.timedelta(days=3), hours=2)
        offer_shift(session, user.id, mine)
        theirs = make_shift(session, colleague, plain, now + dt.timedelta(days=4), hours=2)
        offer_shift(session, colleague, theirs, to_contractor_id=user.id, reason="x")
        rotation = start_rotation(
            session,
            contractor_id=user.id,
            reason="weekly_limit",
            started_at=now,
            ends_at=now + dt.timedelta(days=1),
            explanation={"rule": "weekly_limit", "tier": 2, "measured": 1500, "limit": 1440},
        )
        for kind, payload in (
            ("checkin.reminder", {}),
            ("rotation.reviewed", {"outcome": "upheld"}),
            (
                "exposure.warning",
                {"rule": "daily_limit", "tier": 3, "measured_minutes": 200, "limit_minutes": 240},
            ),
            ("credential.expired", {"code": "RN", "expires_on": "2026-01-31"}),
            ("shift.cancelled", {"starts_at": now.isoformat()}),
            ("shift_offer.approved", {"starts_at": now.isoformat()}),
        ):
            notify_once(
                session,
                kind=kind,
                audience="contractor",
                dedupe_key=kind,
                payload=payload,
                contractor_id=user.id,
            )
    pages = {
        name: client.get(f"/portal/{path}").get_data(True)
        for name, path in (
            ("schedule", "schedule"),
            ("exposure", "exposure"),
            ("rotations", "rotations"),
            ("checkins", "checkins"),
            ("checkin form", "checkins/pcl5"),
            ("pay", "pay"),
            ("notifications", "notifications"),
            ("calendar", "calendar"),
            ("shift offers", "offers"),
        )
    }
    pages["review error"] = post_form(
        client, "/portal/rotations", {"rotation": str(rotation.id), "comment": ""}
    ).get_data(True)
    pages["checkin missing"] = post_form(client, "/portal/checkins/gad7", {"q1": "1"}).get_data(
        True
    )
    for name, key, answers in (
        ("checkin urgent", "phq9", ["0"] * 8 + ["2"]),
        ("checkin flagged", "gad7", ["3"] * 7),
    ):
        done = post_form(
            client, f"/portal/checkins/{key}", {f"q{i}": a for i, a in enumerate(answers, 1)}
        )
        pages[name] = client.get(done.headers["Location"]).get_data(True)
    pages["checkins history"] = client.get("/portal/checkins").get_data(True)
    post_form(client, "/portal/rotations", {"rotation": str(rotation.id), "comment": "Please"})
    pages["review requested"] = client.get("/portal/rotations").get_data(True)
    return pages


@pytest.fixture
def every_page(app, client, ops, invite, new_contractor, portal_user):
    """Visit every portal page (with data on it) in a language; returns {name: html}."""

    def visit(lang: str) -> dict[str, str]:
        pages: dict[str, str] = {}
        anonymous = app.test_client()
        pages["sign in"] = anonymous.get(f"/portal/sign-in?lang={lang}").get_data(True)
        failed = sign_in(anonymous, "nobody@example.org", "wrong password!")
        pages["sign in failed"] = failed.get_data(True)
        invitee = new_contractor(locale="fr_FR", country="FR", timezone="Europe/Paris")
        link = invite(invitee)
        pages["set password"] = anonymous.get(link).get_data(True)
        pages["weak password"] = accept(anonymous, link, "short").get_data(True)
        accept(anonymous, link)
        pages["used invite"] = anonymous.get(link).get_data(True)
        pages["forgot password"] = anonymous.get("/portal/forgot-password").get_data(True)
        pages["unknown invite"] = anonymous.get("/portal/invite/" + "x" * 43).get_data(True)

        user = portal_user(locale="fr_FR", country="FR", timezone="Europe/Paris")
        client_ = user.client
        client_.get(f"/portal/?lang={lang}")
        post_form(client_, "/portal/profile", {"form": "consent", "sensitive": "yes"})
        with db.transaction(app) as session:
            today = dt.date.today()
            for status, expires in (
                ("pending", None),
                ("verified", today + dt.timedelta(days=3)),
                ("verified", today - dt.timedelta(days=3)),
                ("rejected", None),
                ("revoked", None),
            ):
                credential = submit_credential(
                    session,
                    user.id,
                    {"kind": "license", "code": "RN", "issuer": "Council", "expires_on": expires},
                )
                session.execute(
                    update(Credential)
                    .where(Credential.id == credential.id)
                    .values(status=status, status_reason="ops note")
                )
            # the codes a person must never read raw: a training and a language
            for kind, code in (("training", "RESILIENCE_TRAINING"), ("language", "sw")):
                submit_credential(session, user.id, {"kind": kind, "code": code})
            notify_once(
                session,
                kind="credential.expiring",
                audience="contractor",
                dedupe_key="expiring",
                payload={"kind": "training", "code": "FIRST_AID", "expires_on": "2027-01-31"},
                contractor_id=user.id,
            )
        pages["home"] = client_.get("/portal/").get_data(True)
        pages["profile"] = client_.get("/portal/profile").get_data(True)
        pages["credentials"] = client_.get("/portal/credentials").get_data(True)
        pages["credential errors"] = post_form(
            client_,
            "/portal/credentials",
            {"kind": "language", "code": "zz", "issued_on": "soon", "issuer": "x" * 300},
        ).get_data(True)
        pages["profile error"] = post_form(client_, "/portal/profile", {"form": "?"}).get_data(True)
        post_form(
            client_,
            "/portal/time-off",
            {"starts_on": "2027-03-01", "ends_on": "2027-03-05", "kind": "sick", "note": "x"},
        )
        for name, path in (
            ("time off", "time-off"),
            ("availability", "availability"),
            ("tokens", "tokens"),
        ):
            pages[name] = client_.get(f"/portal/{path}").get_data(True)
        html = client_.get("/portal/profile").get_data(True)
        pages["csrf failure"] = client_.post(
            "/portal/profile", data={"csrf_token": csrf_from(html)[::-1]}
        ).get_data(True)
        pages.update(work_pages(app, user))
        post_form(client_, "/portal/sign-out", page="/portal/")
        pages["signed out"] = client_.get("/portal/sign-in").get_data(True)
        return pages

    return visit


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_renders_in_the_language(every_page, lang: str) -> None:
    pages = every_page(lang)
    assert len(pages) == 32
    raw, english = {}, {}
    for name, html in pages.items():
        assert f'<html lang="{lang}">' in html, (lang, name)
        raw[name] = raw_codes(text_of(html))
        if lang != "en":  # English says "None." for an empty list; elsewhere it is Python's
            raw[name] += re.findall(r"(?<!\w)None(?!\w)", text_of(html))
        english[name] = english_leftovers(lang, text_of(html)) if lang != "en" else []
    assert {name: codes for name, codes in raw.items() if codes} == {}, lang
    assert {name: words for name, words in english.items() if words} == {}, lang


def test_the_leftover_check_finds_english(every_page) -> None:
    """The check above is not vacuous: on English pages it finds the English strings."""
    pages = every_page("en")
    found = set()
    for html in pages.values():
        found.update(english_leftovers("sw", text_of(html)))
    assert {"Sign in", "Profile and choices", "Waiting for review", "Sensitive work"} <= found
    assert len(found) > 60


# --- choosing the language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "lang", "greeting"),
    [
        ({"country": "KE"}, "sw", "Habari,"),  # KE defaults to sw_KE
        ({"country": "TZ", "locale": "sw_TZ"}, "sw", "Habari,"),
        ({"country": "PH", "locale": "fil_PH"}, "fil", "Kumusta,"),
        ({"country": "PH", "locale": "tl_PH"}, "fil", "Kumusta,"),
        ({"country": "MX", "timezone": "America/Mexico_City", "locale": "es_MX"}, "es", "Hola,"),
        ({"country": "KE", "locale": "en_KE"}, "en", "Hello,"),
        ({"country": "FR", "timezone": "Europe/Paris"}, "en", "Hello,"),  # French: not yet
    ],
)
def test_the_language_follows_the_contractors_locale(portal_user, fields, lang, greeting) -> None:
    user = portal_user(**fields)
    html = user.client.get("/portal/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert greeting in text_of(html)


def test_the_language_can_be_switched_and_stays_switched(portal_user) -> None:
    user = portal_user(country="KE")
    html = user.client.get("/portal/credentials?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Credenciales" in text_of(html)
    assert '<html lang="es">' in user.client.get("/portal/profile").get_data(True)
    post_form(user.client, "/portal/sign-out", page="/portal/")
    assert "Iniciar sesión" in text_of(user.client.get("/portal/sign-in").get_data(True))
    assert '<html lang="es">' in user.client.get("/portal/sign-in?lang=xx").get_data(True)


def test_the_language_links_keep_the_page(portal_user) -> None:
    user = portal_user(country="KE")
    html = user.client.get("/portal/credentials?x=1").get_data(as_text=True)
    assert 'href="/portal/credentials?x=1&amp;lang=fil" lang="fil" hreflang="fil"' in html
    assert 'lang="sw" hreflang="sw" aria-current="true">Kiswahili<' in html


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [("es-MX,es;q=0.9,en;q=0.5", "es"), ("sw-KE", "sw"), ("fil", "fil"), ("de-DE", "en")],
)
def test_before_sign_in_the_browser_language_is_used(client, accept_language, lang) -> None:
    html = client.get("/portal/sign-in", headers={"Accept-Language": accept_language})
    assert f'<html lang="{lang}">' in html.get_data(as_text=True)


def test_the_invite_page_speaks_the_invitees_language(app, invite, new_contractor) -> None:
    path = invite(new_contractor(country="PH", locale="fil_PH"))
    html = app.test_client().get(path, headers={"Accept-Language": "en"}).get_data(True)
    assert '<html lang="fil">' in html
    assert "Piliin ang iyong password" in text_of(html)


# --- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "country", "locale", "day", "money"),
    [
        ("sw", "KE", "sw_KE", "Jumatano, 25 Novemba 2026", "Ksh\xa01,234.50"),
        ("en", "KE", "sw_KE", "Wednesday, 25 November 2026", "Ksh1,234.50"),
        ("fil", "PH", "fil_PH", "Miyerkules, Nobyembre 25, 2026", "₱1,234.50"),
        ("es", "MX", "es_MX", "miércoles, 25 de noviembre de 2026", "$1,234.50"),
    ],
)
def test_dates_and_money_follow_the_language_and_country(
    app, lang, country, locale, day, money
) -> None:
    person = SimpleNamespace(locale=locale, country=country, timezone="Africa/Nairobi")
    currency = {"KE": "KES", "PH": "PHP", "MX": "MXN"}[country]
    with app.test_request_context():
        use_language(lang, person)
        assert i18n.format_date(dt.date(2026, 11, 25), "full") == day
        assert i18n.format_money(Decimal("1234.50"), currency) == money


def test_instants_are_shown_on_the_contractors_clock(app) -> None:
    person = SimpleNamespace(locale="sw_KE", country="KE", timezone="Africa/Nairobi")
    late = dt.datetime(2026, 11, 25, 21, 30, tzinfo=dt.UTC)  # 00:30 on the 26th in Nairobi
    with app.test_request_context():
        use_language("sw", person)
        assert i18n.format_date(late, "long") == "26 Novemba 2026"
        assert i18n.format_time(late) == "00:30"


def test_money_is_never_a_float(app) -> None:
    with app.test_request_context(), pytest.raises(TypeError):
        i18n.format_money(12.5, "KES")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lang", "locale", "country", "expected"),
    [
        ("sw", "sw_TZ", "TZ", "sw_TZ"),
        ("en", "sw_KE", "KE", "en_KE"),
        ("es", "sw_KE", "KE", "es"),  # CLDR has no es_KE
        ("fil", None, None, "fil"),
    ],
)
def test_the_formatting_locale(lang, locale, country, expected) -> None:
    assert str(i18n.formatting_locale(lang, locale, country)) == expected


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("sw_KE", "sw"),
        ("tl", "fil"),
        ("fil_PH", "fil"),
        ("es-419", "es"),
        ("fr_FR", None),
        ("nonsense", None),
        ("", None),
    ],
)
def test_supported_language(locale, lang) -> None:
    assert i18n.supported_language(locale) == lang
