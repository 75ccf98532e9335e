"""Email: contractors get their own notices in their language, staff audiences get theirs
at the addresses of ``WORKFORCE_NOTIFY_EMAILS``.

Sent over SMTP (``WORKFORCE_SMTP_URL``: ``smtp://`` with STARTTLS, ``smtps://`` with
implicit TLS) or, when none is set, written to a file mailbox (``instance/mail/*.eml``) so
``make run`` shows what would be sent. Messages are multipart (plain text and HTML), with a
``Message-ID`` stable per delivery (a resend after a lost lease is recognisably the same
message) and ``List-Unsubscribe`` on the kinds a contractor may turn off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import secrets
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import aiosmtplib
from babel import dates as babel_dates
from sqlalchemy.orm import Session

from workforce.notifications import routing
from workforce.notifications.channels import Channel, Outcome, Outgoing, send_budget
from workforce.notifications.contacts import contact
from workforce.notifications.models import Notification, NotificationPreference
from workforce.translation import N_, formatting_locale, supported_language, translations

#: What a contractor is told per kind: subject and text, with %(name)s from the payload.
#: Never a score, an answer or a reason from a questionnaire: an inbox is not private.
CONTRACTOR_TEXTS: dict[str, tuple[str, str]] = {
    "portal.invite": (
        N_("Your Workforce portal invitation"),
        N_(
            "Choose your password for the Workforce portal with this link. It works until "
            "%(expires_at)s."
        ),
    ),
    "portal.password_reset": (
        N_("Reset your Workforce portal password"),
        N_(
            "Choose a new password with this link. It works until %(expires_at)s. If you did "
            "not ask for it, ignore this message."
        ),
    ),
    "account.password_changed": (
        N_("Your portal password was changed"),
        N_(
            "Your Workforce portal password was changed. If this was not you, tell your "
            "operations contact at once."
        ),
    ),
    "account.email_changed": (
        N_("The email address of your Workforce account was changed"),
        N_(
            "The email address of your Workforce account was changed, and this address will "
            "no longer get its messages. If this was not you, tell your operations contact "
            "at once: for three days no password link is sent to the new address."
        ),
    ),
    "account.token_created": (
        N_("A new access token on your account"),
        N_(
            "An access token was created for your Workforce account. If this was not you, "
            "revoke it in the portal and tell your operations contact."
        ),
    ),
    "account.token_revoked": (
        N_("An access token was revoked"),
        N_("An access token of your Workforce account was revoked."),
    ),
    "shift.changed": (
        N_("Your shift has changed"),
        N_("One of your shifts has changed. Your schedule in the portal shows the details."),
    ),
    "shift.reassigned": (
        N_("A shift moved to another queue"),
        N_(
            "One of your shifts moved to another queue during your rotation. Your schedule "
            "in the portal shows the details."
        ),
    ),
    "shift.cancelled": (
        N_("Your shift was cancelled"),
        N_("One of your shifts was cancelled. Your schedule in the portal shows the details."),
    ),
    "shift_offer.offered": (
        N_("A shift is offered to you"),
        N_(
            "A shift was offered to you. The shift offers page of the portal shows it; take "
            "it there if you want it."
        ),
    ),
    "shift_offer.accepted": (
        N_("A shift offer was taken"),
        N_(
            "A shift offer you are part of was taken. The shift stays where it was until "
            "operations approve the move."
        ),
    ),
    "shift_offer.approved": (
        N_("A shift offer was approved"),
        N_("A shift offer you are part of was approved. Your schedule in the portal shows it."),
    ),
    "shift_offer.rejected": (
        N_("A shift offer was declined"),
        N_("A shift offer you are part of was declined. The shift stays where it was."),
    ),
    "shift_offer.withdrawn": (
        N_("A shift offer was withdrawn"),
        N_("A shift offer you were part of was withdrawn. The shift stays where it was."),
    ),
    "rotation.started": (
        N_("You are rotated off high-exposure work"),
        N_(
            "For your wellbeing you are off the most distressing queues until %(ends_at)s. "
            "Your schedule in the portal shows the changes."
        ),
    ),
    "rotation.ended": (
        N_("Your rotation has ended"),
        N_("Your rotation off high-exposure work has ended."),
    ),
    "rotation.reviewed": (
        N_("Your rotation review has an answer"),
        N_(
            "Your request for a review of your rotation has been answered. The portal shows "
            "the answer."
        ),
    ),
    "credential.expiring": (
        N_("A credential expires soon"),
        N_("One of your credentials expires on %(expires_on)s. Renew it in the portal."),
    ),
    "credential.expired": (
        N_("A credential has expired"),
        N_("One of your credentials expired on %(expires_on)s. Renew it in the portal."),
    ),
    "pay.statement_final": (
        N_("Your pay statement is ready"),
        N_("Your pay statement for %(period_start)s to %(period_end)s is ready in the portal."),
    ),
    "time_off.approved": (
        N_("Your time off is approved"),
        N_(
            "Your time off from %(starts_on)s to %(ends_on)s is approved. Shifts you had on "
            "those days go to colleagues. %(comment)s"
        ),
    ),
    "time_off.rejected": (
        N_("Your time-off request was not approved"),
        N_(
            "Your request for time off from %(starts_on)s to %(ends_on)s was not approved: "
            "%(comment)s"
        ),
    ),
    "checkin.reminder": (
        N_("A wellbeing check-in is available"),
        N_("A short, confidential check-in is available in the portal whenever you want it."),
    ),
}
#: Kinds a contractor cannot turn off: a rotation keeps them safe, and an invite or a
#: reset link reaches them only by email.
REQUIRED = frozenset(
    {
        "rotation.started",
        "rotation.ended",
        "portal.invite",
        "portal.password_reset",
        "account.email_changed",
    }
)
#: Kinds whose payload ``url`` is a secret link, blanked once the email is sent.
SECRET_LINK_KINDS = ("portal.invite", "portal.password_reset")
#: Payload fields that are instants or dates, shown in the reader's locale and zone.
INSTANTS = ("expires_at", "ends_at")
DATES = ("expires_on", "period_start", "period_end", "starts_on", "ends_on")
FOOTER = N_(
    "You get this email because you work with Workforce. Choose which emails you get: %(url)s"
)
#: Payload fields whose value is a link to show as one.
LINK = "url"


@dataclass(frozen=True)
class Rendered:
    message: EmailMessage


#: Kinds that also go to the escalation contacts (an urgent referral nobody took on).
ESCALATION_KINDS = frozenset({"referral.escalated"})


def _staff_targets(config: Mapping[str, Any], notification: Notification) -> list[str]:
    targets = routing.staff_emails(config).get(notification.audience, [])
    if notification.kind in ESCALATION_KINDS:
        targets = [*targets, *routing.escalation_emails(config)]
    return list(dict.fromkeys(targets))


def _targets(session: Session, config: Mapping[str, Any], notification: Notification) -> list[str]:
    if notification.audience != "contractor":
        return _staff_targets(config, notification)
    if notification.kind not in CONTRACTOR_TEXTS or notification.contractor_id is None:
        return []
    contractor = contact(session, notification.contractor_id)
    if contractor is None or notification.kind in muted(session, contractor.contractor_id):
        return []
    if notification.kind == "account.email_changed":
        # to the address it was changed from: its owner is the one who must hear of it
        previous = notification.payload.get("previous_email")
        return [previous] if previous else []
    return [contractor.email]


def muted(session: Session, contractor_id: int) -> list[str]:
    """The kinds a contractor turned off (never one of REQUIRED)."""
    preference = session.get(NotificationPreference, contractor_id)
    return list(preference.muted) if preference is not None else []


def _localised(value: Any, field: str, locale: Any, zone: ZoneInfo) -> str:
    try:
        if field in INSTANTS:
            return babel_dates.format_datetime(
                dt.datetime.fromisoformat(value), "medium", tzinfo=zone, locale=locale
            )
        if field in DATES:
            return babel_dates.format_date(dt.date.fromisoformat(value), "long", locale=locale)
    except (TypeError, ValueError):
        pass
    return str(value)


def _contractor_message(
    session: Session, config: Mapping[str, Any], outgoing: Outgoing
) -> EmailMessage:
    assert outgoing.contractor_id is not None  # a contractor notice names its contractor
    contractor = contact(session, outgoing.contractor_id)
    assert contractor is not None  # routed to their address, and contractors are never deleted
    language = supported_language(contractor.locale) or "en"
    locale = formatting_locale(language, contractor.locale, contractor.country)
    zone = ZoneInfo(contractor.timezone)
    catalog = translations(language)
    values = {
        field: _localised(value, field, locale, zone) for field, value in outgoing.payload.items()
    }
    subject, text = CONTRACTOR_TEXTS[outgoing.kind]
    preferences_url = f"{config['BASE_URL']}/portal/notifications"
    paragraphs = [catalog.gettext(text) % _Missing(values)]
    link = outgoing.payload.get(LINK) or None
    footer = catalog.gettext(FOOTER) % {"url": preferences_url}
    message = _message(
        config, outgoing, catalog.gettext(subject), paragraphs, link, footer, language
    )
    if outgoing.kind not in REQUIRED:
        message["List-Unsubscribe"] = f"<{preferences_url}>"
    return message


class _Missing(dict[str, str]):
    """Fills a placeholder the payload lacks with nothing rather than failing the message."""

    def __missing__(self, key: str) -> str:
        return ""


def _staff_message(config: Mapping[str, Any], outgoing: Outgoing) -> EmailMessage:
    subject = f"[Workforce {outgoing.audience}] {outgoing.kind}"
    if outgoing.payload.get("urgent"):
        subject = f"URGENT {subject}"
    facts = [f"{key}: {value}" for key, value in sorted(outgoing.payload.items())]
    inbox = f"{config['BASE_URL']}/api/v1/notifications"
    return _message(
        config,
        outgoing,
        subject,
        [f"{outgoing.kind} (notification {outgoing.notification_id})", *facts],
        None,
        f"Inbox: {inbox}",
        "en",
    )


def _message(
    config: Mapping[str, Any],
    outgoing: Outgoing,
    subject: str,
    paragraphs: list[str],
    link: str | None,
    footer: str,
    language: str,
) -> EmailMessage:
    sender = config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.target
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(outgoing, sender)
    plain = [*paragraphs, *([link] if link else []), "", footer]
    message.set_content("\n\n".join(plain))
    parts = [f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs]
    if link:
        parts.append(f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>')
    parts.append(f"<p><small>{html.escape(footer)}</small></p>")
    message.add_alternative(
        f'<!doctype html><html lang="{language}"><body>{"".join(parts)}</body></html>',
        subtype="html",
    )
    # Our own boundary: the stdlib's draws from the shared ``random`` state, from the
    # delivery thread, while the rest of the process may rely on that state.
    message.set_boundary(f"=workforce-{secrets.token_hex(16)}")
    # After the body: set_content and add_alternative move Content-* headers into parts.
    message["Content-Language"] = language
    return message


def message_id(outgoing: Outgoing, sender: str) -> str:
    """Stable per delivery, so a receiver drops a resend after a lost lease."""
    domain = sender.rpartition("@")[2].strip("> ") or "workforce.invalid"
    return f"<notification-{outgoing.notification_id}.delivery-{outgoing.delivery_id}@{domain}>"


def _prepare(session: Session, config: Mapping[str, Any], outgoing: Outgoing) -> Rendered:
    if outgoing.audience == "contractor":
        return Rendered(_contractor_message(session, config, outgoing))
    return Rendered(_staff_message(config, outgoing))


def send(outgoing: Outgoing, config: Mapping[str, Any]) -> Outcome:
    """Hand the prepared message to the SMTP server, or write it to the file mailbox."""
    rendered: Rendered | None = outgoing.extra
    if rendered is None:
        return Outcome(outgoing.delivery_id, False, error="the message could not be rendered")
    if not config["SMTP_URL"]:
        mailbox = Path(config["MAIL_DIR"])
        mailbox.mkdir(parents=True, exist_ok=True)
        name = f"{outgoing.notification_id:08d}-{outgoing.delivery_id:08d}.eml"
        (mailbox / name).write_bytes(bytes(rendered.message))
        return Outcome(outgoing.delivery_id, True)
    budget = send_budget(config)
    try:
        # async for the deadline (as webhooks): a server that trickles its replies trips
        # no per-read timeout, and must not outlast the run's lease
        asyncio.run(asyncio.wait_for(_smtp_send(rendered.message, config), budget))
    except TimeoutError:
        return Outcome(outgoing.delivery_id, False, error=f"no complete answer within {budget:g} s")
    except (OSError, aiosmtplib.SMTPException) as error:
        code = getattr(error, "code", None)
        return Outcome(outgoing.delivery_id, False, code, f"{type(error).__name__}: {error}")
    return Outcome(outgoing.delivery_id, True)


async def _smtp_send(message: EmailMessage, config: Mapping[str, Any]) -> None:
    """``smtps://`` is TLS from the start; ``smtp://`` must upgrade with STARTTLS (never
    plain text); a user in the URL logs in."""
    url = urlsplit(config["SMTP_URL"])
    implicit = url.scheme == "smtps"
    client = aiosmtplib.SMTP(
        hostname=url.hostname or "",
        port=url.port or (465 if implicit else 587),
        use_tls=implicit,
        start_tls=False,  # below, once the socket's transport is held
        tls_context=_tls(config),
        timeout=config["DELIVERY_READ_TIMEOUT_SECONDS"],
    )
    transport: asyncio.BaseTransport | None = None
    try:
        await client.connect()
        # The socket's own transport (under the TLS a STARTTLS puts on it), dropped at
        # the end whatever happened: a TLS close waits for the server's, which
        # asyncio.run does not, and would leave the socket to the garbage collector.
        transport = client.transport
        if not implicit:
            await client.starttls()
        if url.username:
            await client.login(unquote(url.username), unquote(url.password or ""))
        await client.send_message(message)
        await client.quit()
    finally:
        if isinstance(transport, asyncio.Transport):
            transport.abort()
            await asyncio.sleep(0)  # the loop closes the socket


def _tls(config: Mapping[str, Any]) -> ssl.SSLContext:
    # The server's certificate is always verified: against a private CA when one is set.
    return ssl.create_default_context(cafile=config["SMTP_CA_FILE"] or None)


def _forget_secret_link(session: Session, outgoing: Outgoing) -> None:
    """Once an invite or reset link is in the contractor's mailbox, the database need not
    keep it: a copy of the database must not be a set of working links."""
    if outgoing.kind in SECRET_LINK_KINDS and outgoing.payload.get(LINK):
        notification = session.get(Notification, outgoing.notification_id)
        if notification is not None:
            notification.payload = {**notification.payload, LINK: ""}


CHANNEL = Channel(targets=_targets, send=send, prepare=_prepare, after=_forget_secret_link)
