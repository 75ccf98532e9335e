"""Webhooks signed as the Standard Webhooks specification defines
(https://www.standardwebhooks.com/): ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``, so receivers can
verify with the specification's own libraries. Only staff audiences have webhooks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy.orm import Session

from workforce.notifications import routing
from workforce.notifications.channels import Channel, Outcome, Outgoing, send_budget
from workforce.notifications.models import Notification


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def message_id(notification_id: int) -> str:
    """Stable for a notification across retries and receivers: the de-duplication key."""
    return f"msg_workforce_{notification_id}"


def body_of(outgoing: Outgoing) -> bytes:
    """The spec's recommended envelope: ``type``, ``timestamp``, ``data``."""
    return json.dumps(
        {
            "type": outgoing.kind,
            "timestamp": outgoing.created_at.isoformat(),
            "data": {
                "id": outgoing.notification_id,
                "audience": outgoing.audience,
                "contractor_id": outgoing.contractor_id,
                **outgoing.payload,
            },
        },
        sort_keys=True,
        default=str,
    ).encode()


def _targets(_session: Session, config: Mapping[str, Any], notification: Notification) -> list[str]:
    # routing.webhooks has no "contractor" entry: contractor notices never reach a webhook.
    return [hook.url for hook in routing.webhooks(config).get(notification.audience, [])]


async def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: httpx.Timeout
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=timeout) as client:
        return await client.post(url, content=body, headers=headers)


def post(outgoing: Outgoing, config: Mapping[str, Any]) -> Outcome:
    """POST one delivery; the key is looked up now, so a rotated secret applies at once."""
    keys = {hook.url: hook.key for hook in routing.webhooks(config).get(outgoing.audience, [])}
    if outgoing.target not in keys:
        return Outcome(outgoing.delivery_id, False, error="webhook no longer configured")
    body = body_of(outgoing)
    msg_id, timestamp = message_id(outgoing.notification_id), int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(keys[outgoing.target], msg_id, timestamp, body),
    }
    timeout = httpx.Timeout(
        config["DELIVERY_READ_TIMEOUT_SECONDS"],
        connect=config["DELIVERY_CONNECT_TIMEOUT_SECONDS"],
    )
    budget = send_budget(config)
    try:
        # async only for the deadline: cancelling a coroutine stops a receiver that
        # trickles its answer, which no socket timeout of a blocking call does
        response = asyncio.run(
            asyncio.wait_for(_post(outgoing.target, body, headers, timeout), budget)
        )
    except TimeoutError:
        return Outcome(outgoing.delivery_id, False, error=f"no complete answer within {budget:g} s")
    except httpx.HTTPError as error:
        return Outcome(outgoing.delivery_id, False, error=f"{type(error).__name__}: {error}")
    ok = response.is_success
    return Outcome(
        outgoing.delivery_id,
        ok,
        response.status_code,
        None if ok else f"HTTP {response.status_code}",
    )


CHANNEL = Channel(targets=_targets, send=post)
