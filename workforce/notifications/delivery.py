"""Webhook delivery of the outbox: HMAC-signed JSON, retries with exponential backoff,
and a delivery log. Run by the scheduler's ``deliver-notifications`` job."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workforce.notifications.models import Notification, WebhookDelivery
from workforce.notifications.services import PRIVATE_LINK_KINDS

#: After this many failed rounds a notification is left undelivered (and visible as such).
MAX_ATTEMPTS = 10
#: First retry after 30 s, doubling, never more than 6 h apart.
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=6)
TIMEOUT_SECONDS = 5
BATCH = 100


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp.body``; receivers recompute it to trust the call."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff(attempts: int) -> dt.timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return None, str(error)[:500]


def body_of(notification: Notification) -> bytes:
    return json.dumps(
        {
            "id": notification.id,
            "kind": notification.kind,
            "audience": notification.audience,
            "contractor_id": notification.contractor_id,
            "created_at": notification.created_at.isoformat(),
            "payload": notification.payload,
        },
        sort_keys=True,
        default=str,
    ).encode()


def deliver_pending(
    session: Session, now: dt.datetime, urls: Sequence[str], secret: str
) -> dict[str, int]:
    """Post due notifications to every URL that has not yet accepted them."""
    counts = {"delivered": 0, "failed": 0}
    if not urls:
        return counts
    due = session.scalars(
        select(Notification)
        .where(
            Notification.delivered_at.is_(None),
            Notification.kind.not_in(PRIVATE_LINK_KINDS),
            Notification.attempts < MAX_ATTEMPTS,
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )
        .order_by(Notification.id)
        .limit(BATCH)
    ).all()
    for notification in due:
        accepted = set(
            session.scalars(
                select(WebhookDelivery.url).where(
                    WebhookDelivery.notification_id == notification.id,
                    WebhookDelivery.succeeded.is_(True),
                )
            )
        )
        body = body_of(notification)
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Workforce-Timestamp": timestamp,
            "X-Workforce-Signature": sign(secret, timestamp, body),
            "X-Workforce-Delivery": str(notification.id),
        }
        errors = []
        for url in urls:
            if url in accepted:
                continue
            status, error = _post(url, body, headers)
            ok = status is not None and 200 <= status < 300
            session.add(
                WebhookDelivery(
                    notification_id=notification.id,
                    url=url,
                    attempted_at=now,
                    status_code=status,
                    error=error,
                    succeeded=ok,
                )
            )
            if not ok:
                errors.append(f"{url}: {error}")
        notification.attempts += 1
        if errors:
            notification.last_error = "; ".join(errors)[:500]
            notification.next_attempt_at = now + backoff(notification.attempts)
            counts["failed"] += 1
        else:
            notification.delivered_at = now
            notification.last_error = None
            counts["delivered"] += 1
    session.flush()
    return counts
