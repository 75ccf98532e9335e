"""Writing to the outbox, once per dedupe key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.db import utcnow
from workforce.notifications.models import Notification


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
