"""Writing to the outbox, once per dedupe key; a contractor's own notifications, the staff
inbox of each audience, and the deliveries staff can see and retry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.errors import NotFound
from workforce.notifications import delivery as sending
from workforce.notifications.models import Delivery, Notification

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


def notify_once(
    session: Session,
    *,
    kind: str,
    audience: str,
    dedupe_key: str,
    payload: dict[str, Any],
    contractor_id: int | None = None,
    created_at: dt.datetime | None = None,
) -> bool:
    """Queue a notification unless one with ``dedupe_key`` exists; True if written.

    ``created_at`` dates it (a job passes the instant it runs for); default: now.
    """
    exists = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    if exists is not None:
        return False
    session.add(
        Notification(
            kind=kind,
            audience=audience,
            dedupe_key=dedupe_key,
            payload=payload,
            contractor_id=contractor_id,
            created_at=created_at or utcnow(),
        )
    )
    session.flush()
    return True


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
        .where(Notification.audience.in_(DELIVERY_AUDIENCES[role]))
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
