"""Writing to the outbox, once per dedupe key, and a contractor's own notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce.db import utcnow
from workforce.errors import NotFound
from workforce.notifications.models import Notification

#: Kinds whose payload carries a one-time link for a contractor (``url``). Only the
#: contractor's own email may deliver them: never a webhook, which is an operations channel.
PRIVATE_LINK_KINDS = ("portal.invite", "portal.password_reset")


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
