"""Writing to the outbox, once per dedupe key; a contractor's own notifications, the staff
inbox of each audience, and the deliveries staff can see and retry."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.errors import NotFound
from workforce.notifications import delivery as sending
from workforce.notifications.email import SECRET_LINK_KINDS
from workforce.notifications.models import Delivery, Notification

log = logging.getLogger(__name__)

#: The audiences whose inbox each staff role reads. Admin is not a counsellor: a
#: wellbeing notification says who has a referral, so it never reaches admin.
INBOX_AUDIENCES: dict[str, tuple[str, ...]] = {
    "admin": ("ops", "compliance"),
    "ops": ("ops",),
    "compliance": ("compliance",),
    "wellbeing": ("wellbeing",),
}
#: Deliveries each role sees and may retry: its inbox's, and admin also the contractors'
#: (a bounced invite is an administrator's to fix), never another role's wellbeing ones.
DELIVERY_AUDIENCES: dict[str, tuple[str, ...]] = {
    **INBOX_AUDIENCES,
    "admin": ("ops", "compliance", "contractor"),
}
#: Contractor kinds admin never sees among the deliveries: who is offered a wellbeing
#: check-in, and when, is about that person's screening.
PRIVATE_CONTRACTOR_KINDS = ("checkin.reminder",)


def notify_once(
    session: Session,
    *,
    kind: str,
    audience: str,
    dedupe_key: str,
    payload: dict[str, Any],
    contractor_id: int | None = None,
    created_at: dt.datetime | None = None,
    at_once: bool = False,
) -> bool:
    """Queue a notification unless one with ``dedupe_key`` exists; True if written.

    ``created_at`` dates it (a job passes the instant it runs for); default: now.
    ``at_once``: deliver it as soon as the transaction commits (an urgent referral), in a
    thread of this process, instead of at the next delivery run.
    """
    exists = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    if exists is not None:
        return False
    notification = Notification(
        kind=kind,
        audience=audience,
        dedupe_key=dedupe_key,
        payload=payload,
        contractor_id=contractor_id,
        created_at=created_at or utcnow(),
    )
    session.add(notification)
    session.flush()
    if at_once:
        session.info.setdefault(_AT_ONCE, []).append(notification.id)
    return True


#: Session.info key: notifications to deliver once the session's transaction commits.
_AT_ONCE = "workforce.notifications.at_once"
#: The name of the threads that send them.
AT_ONCE_THREAD = "deliver-at-once"


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    # After the commit, outside any transaction: the request or job that wrote the
    # notification has released the database, and the send does not hold it either.
    ids = session.info.pop(_AT_ONCE, None)
    if ids and has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(
            target=_deliver_now, args=(app, ids), name=AT_ONCE_THREAD, daemon=True
        ).start()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_AT_ONCE, None)


def _deliver_now(app: Flask, notification_ids: list[int]) -> None:
    try:
        with app.app_context():
            sending.deliver_due(app, utcnow(), notification_ids)
    except Exception:
        # The delivery job sends it at its next run; nothing is lost.
        log.exception("immediate delivery of notifications %s failed", notification_ids)


def visible_payload(notification: Notification) -> dict[str, Any]:
    """A notification's payload as API answers show it: without a secret link."""
    payload = dict(notification.payload)
    if notification.kind in SECRET_LINK_KINDS and "url" in payload:
        payload["url"] = ""
    return payload


def contractor_notifications(contractor_id: int, *, unread: bool) -> Select[tuple[Notification]]:
    stmt = (
        select(Notification)
        .where(Notification.contractor_id == contractor_id, Notification.audience == "contractor")
        .order_by(Notification.id.desc())
    )
    return stmt.where(Notification.read_at.is_(None)) if unread else stmt


def mark_read(session: Session, contractor_id: int, notification_id: int) -> Notification:
    notification = session.get(Notification, notification_id)
    if (
        notification is None
        or notification.contractor_id != contractor_id
        or notification.audience != "contractor"
    ):
        raise NotFound(f"notification {notification_id} does not exist")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def staff_notifications(role: str, *, unread: bool) -> Select[tuple[Notification]]:
    """The inbox of ``role``'s audiences, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.audience.in_(INBOX_AUDIENCES[role]))
        .order_by(Notification.id.desc())
    )
    return stmt.where(Notification.read_at.is_(None)) if unread else stmt


def mark_read_by_staff(session: Session, role: str, notification_id: int) -> Notification:
    """Mark a notification of the role's inbox read (for everyone sharing that inbox)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.audience not in INBOX_AUDIENCES[role]:
        raise NotFound(f"notification {notification_id} does not exist")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def deliveries_query(role: str, status: str | None) -> Select[tuple[Delivery]]:
    stmt = (
        select(Delivery)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(
            Notification.audience.in_(DELIVERY_AUDIENCES[role]),
            Notification.kind.not_in(PRIVATE_CONTRACTOR_KINDS),
        )
        .order_by(Delivery.id.desc())
    )
    return stmt.where(Delivery.status == status) if status else stmt


def retry_delivery(session: Session, role: str, delivery_id: int) -> Delivery:
    """Send a delivery again (a dead one gets a fresh set of attempts), due now."""
    found = session.scalar(deliveries_query(role, None).where(Delivery.id == delivery_id))
    if found is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    delivery = sending.retry(session, found, utcnow())
    audit.record(
        session,
        "notification_delivery.retry",
        "notification_delivery",
        delivery.id,
        {"channel": delivery.channel},
    )
    return delivery
