"""Email through a real SMTP server (STARTTLS or implicit TLS, with a password), parsed with
the ``email`` package: language, links, headers; preferences; the file mailbox."""

from __future__ import annotations

import gc
import json
import time
import warnings
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.smtp_server import smtp_server, trickling_smtp_server
from tests.wording import raw_codes
from workforce import db
from workforce.contractors.models import Contractor
from workforce.i18n import PORTAL_LANGUAGES, SOURCE_LANGUAGE
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.email import CONTRACTOR_TEXTS
from workforce.notifications.models import Delivery, Notification
from workforce.notifications.services import notify_once

INVITE = "http://127.0.0.1:8000/portal/invite/SECRET-LINK-abc"


def deliver(app) -> dict[str, int]:
    job = next(job for job in all_jobs(app.config) if job.id == "deliver-notifications")
    return run_job(app, job).effects


def notice(app, kind: str, contractor: int | None, audience: str = "contractor", **payload):
    with db.transaction(app) as session:
        notify_once(
            session,
            kind=kind,
            audience=audience,
            dedupe_key=f"{kind}:{contractor}:{audience}",
            payload=payload,
            contractor_id=contractor,
        )


def person(app, new_contractor, locale: str, country: str = "KE") -> int:
    cid = new_contractor(locale=locale, country=country)
    with db.get_db(app).reader() as session:
        assert session.get_one(Contractor, cid).locale == locale
    return cid


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


def test_an_invite_reaches_the_contractor_in_their_language_then_the_link_is_forgotten(
    app, new_contractor, tmp_path
) -> None:
    swahili = person(app, new_contractor, "sw_KE")
    with smtp_server(tmp_path) as smtp:
        app.config.update(SMTP_URL=smtp.url, SMTP_CA_FILE=smtp.ca_file)
        notice(app, "portal.invite", swahili, url=INVITE, expires_at="2026-12-11T09:00:00+00:00")
        assert deliver(app)["delivered"] == 1
        [message] = smtp.messages
    text, rich = parts(message)
    assert message["Subject"] == "Mwaliko wako wa tovuti ya Workforce"
    assert message["Content-Language"] == "sw"
    assert INVITE in text and f'href="{INVITE}"' in rich
    assert "11 Des 2026 12:00" in text  # the expiry in Swahili, in Nairobi time (UTC+3)
    assert message["Message-ID"].startswith("<notification-")
    assert "List-Unsubscribe" not in message  # an invite cannot be turned off
    with db.get_db(app).reader() as session:
        stored = session.scalars(select(Notification)).one()
        assert stored.payload["url"] == "" and stored.payload["expires_at"]


def test_optional_kinds_carry_list_unsubscribe_and_can_be_muted(
    app, client, as_role, new_contractor, tmp_path
) -> None:
    spanish = person(app, new_contractor, "es_CO", "CO")
    headers = as_role("contractor", spanish)
    with smtp_server(tmp_path, implicit_tls=True) as smtp:
        app.config.update(SMTP_URL=smtp.url, SMTP_CA_FILE=smtp.ca_file)
        deliver(app)  # the notice that the token above was created
        smtp.messages.clear()
        notice(app, "shift.cancelled", spanish, shift_id=4)
        deliver(app)
        [message] = smtp.messages
        assert message["Subject"] == "Tu turno fue cancelado"
        assert message["List-Unsubscribe"] == "<http://127.0.0.1:8000/portal/notifications>"

        refused = client.put(
            "/api/v1/me/notification-preferences",
            json={"muted": ["shift.cancelled", "rotation.started"]},
            headers=headers,
        )
        assert refused.status_code == 422
        assert "rotation.started" in json.dumps(refused.json["errors"]["muted"])
        muted = client.put(
            "/api/v1/me/notification-preferences",
            json={"muted": ["shift.changed"]},
            headers=headers,
        )
        assert muted.status_code == 200 and muted.json["muted"] == ["shift.changed"]
        notice(app, "shift.changed", spanish, shift_id=4)
        assert deliver(app)["routed"] == 0
        assert len(smtp.messages) == 1
    kinds = client.get("/api/v1/me/notification-preferences", headers=headers).json["kinds"]
    assert {"kind": "rotation.started", "email": True, "required": True} in kinds
    assert {"kind": "shift.changed", "email": False, "required": False} in kinds


def test_staff_audiences_get_only_their_own_email(app, new_contractor, tmp_path) -> None:
    cid = new_contractor()
    with smtp_server(tmp_path) as smtp:
        app.config.update(
            SMTP_URL=smtp.url,
            SMTP_CA_FILE=smtp.ca_file,
            NOTIFY_EMAILS=json.dumps(
                {"ops": ["ops@example.org"], "wellbeing": ["counsellors@example.org"]}
            ),
        )
        notice(app, "referral.opened", cid, "wellbeing", referral_id=1, urgent=True)
        notice(app, "shift.missed", cid, "ops", shift_id=3)
        assert deliver(app)["delivered"] == 2
        sent = dict(zip((m["Subject"] for m in smtp.messages), smtp.recipients, strict=True))
    assert sent == {
        "URGENT [Workforce wellbeing] referral.opened": ["counsellors@example.org"],
        "[Workforce ops] shift.missed": ["ops@example.org"],
    }


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "smtps"])
def test_a_send_leaves_no_open_socket_when_the_server_is_slow_to_hang_up(
    app, new_contractor, tmp_path, implicit_tls
) -> None:
    """The server answers QUIT but closes its side half a second later: each send must
    free its own socket before it returns, not leave it to the garbage collector (which
    warns, and under load ran out of descriptors in a long-lived worker)."""
    with smtp_server(tmp_path, implicit_tls=implicit_tls, lingering=True) as smtp:
        app.config.update(SMTP_URL=smtp.url, SMTP_CA_FILE=smtp.ca_file)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            for _ in range(2):
                notice(app, "checkin.reminder", new_contractor())
            assert deliver(app)["delivered"] == 2
            gc.collect()
        assert len(smtp.messages) == 2
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_without_smtp_mail_goes_to_the_file_mailbox(app, new_contractor) -> None:
    filipino = person(app, new_contractor, "fil_PH", "PH")
    notice(app, "checkin.reminder", filipino)
    assert deliver(app)["delivered"] == 1
    [eml] = Path(app.config["MAIL_DIR"]).glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message["Content-Language"] == "fil"
    assert message["Subject"] != "A wellbeing check-in is available"  # translated


def test_an_smtp_server_that_is_down_is_retried(app, new_contractor) -> None:
    app.config.update(SMTP_URL="smtp://127.0.0.1:9")
    notice(app, "checkin.reminder", new_contractor())
    assert deliver(app)["failed"] == 1


def test_an_smtp_server_that_trickles_its_replies_is_cut_at_the_send_budget(
    app, new_contractor
) -> None:
    """A byte of greeting every 0.2 s never trips the 1 s read timeout; the send still ends
    at its budget (connect + read timeouts), a failure retried later."""
    with trickling_smtp_server(every=0.2) as url:
        app.config.update(
            SMTP_URL=url, DELIVERY_CONNECT_TIMEOUT_SECONDS=1, DELIVERY_READ_TIMEOUT_SECONDS=1
        )
        notice(app, "checkin.reminder", new_contractor())
        started = time.monotonic()
        effects = deliver(app)
        took = time.monotonic() - started
    assert effects["failed"] == 1 and effects["delivered"] == 0, effects
    assert took < 4, f"the send took {took:.1f}s against a 2 s budget"
    with db.get_db(app).reader() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert delivery.last_error == "no complete answer within 2 s"


#: A contractor's locale per shipped portal language (workforce.i18n.PORTAL_LANGUAGES).
LOCALES = ["en_KE", "sw_KE", "fil_PH", "es_CO"]


def test_every_shipped_language_is_rendered() -> None:
    assert [locale.split("_")[0] for locale in LOCALES] == [SOURCE_LANGUAGE, *PORTAL_LANGUAGES]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_contractor_kind_renders_in_every_language(app, new_contractor, locale) -> None:
    country = locale.split("_")[1]
    cid = new_contractor(locale=locale, country=country)
    payload = {
        "url": INVITE,
        "expires_at": "2026-12-11T09:00:00+00:00",
        "ends_at": "2026-12-12T09:00:00+00:00",
        "expires_on": "2027-01-05",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "previous_email": "earlier@example.org",
    }
    for kind in CONTRACTOR_TEXTS:
        notice(app, kind, cid, **payload)
    english_subjects = {subject for subject, _text in CONTRACTOR_TEXTS.values()}
    delivered = 0
    while sent := deliver(app).get("delivered", 0):  # a run sends at most a batch
        delivered += sent
    assert delivered == len(CONTRACTOR_TEXTS)
    for eml in Path(app.config["MAIL_DIR"]).glob("*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
        text, rich = parts(message)
        assert "%(" not in text and "%(" not in rich, (locale, message["Subject"])
        assert message["Content-Language"] == locale.split("_")[0]
        assert raw_codes(f"{message['Subject']} {text}") == [], (locale, message["Subject"])
        if not locale.startswith("en"):  # nothing left in English (issue 23)
            assert message["Subject"] not in english_subjects, (locale, message["Subject"])


def test_a_message_that_cannot_be_rendered_fails_alone(app, new_contractor) -> None:
    good, broken = new_contractor(), new_contractor()
    with db.transaction(app) as session:  # a zone that no longer exists: rendering fails
        session.get_one(Contractor, broken).timezone = "Mars/Olympus_Mons"
    notice(app, "checkin.reminder", broken)
    notice(app, "checkin.reminder", good)
    effects = deliver(app)
    assert (effects["delivered"], effects["failed"]) == (1, 1)


def test_an_invite_link_is_never_in_an_api_answer(app, client, as_role, new_contractor) -> None:
    cid = new_contractor()
    notice(app, "portal.invite", cid, url=INVITE, expires_at="2026-12-11T09:00:00+00:00")
    listed = client.get("/api/v1/me/notifications", headers=as_role("contractor", cid)).json
    [item] = [item for item in listed["items"] if item["kind"] == "portal.invite"]
    assert item["payload"]["url"] == ""
    assert item["payload"]["expires_at"]
