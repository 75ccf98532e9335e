"""Writing to the outbox, once per dedupe key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.notifications.models import Notification


def notify_once(
    session: Session,
    *,
    kind: str,
    audience: str,
    dedupe_key: str,
    payload: dict[str, Any],
    contractor_id: int | None = None,
) -> bool:
    """Queue a notification unless one with ``dedupe_key`` exists; True if written."""
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
        )
    )
    session.flush()
    return True
