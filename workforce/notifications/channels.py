"""What a delivery channel is (email, webhooks), apart from the run that drives them
(:mod:`workforce.notifications.delivery`), so channels and the run import this, not each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workforce.notifications.models import Notification


@dataclass(frozen=True)
class Outgoing:
    """A leased delivery with everything its sender needs, read in the claim transaction."""

    delivery_id: int
    channel: str
    target: str
    notification_id: int
    kind: str
    audience: str
    contractor_id: int | None
    created_at: dt.datetime
    payload: dict[str, Any]
    #: Channel-specific data prepared in the claim transaction (an email's rendering).
    extra: Any = None


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    ok: bool
    status_code: int | None = None
    error: str | None = None


#: A channel: route (targets of a notification), prepare (in the claim transaction),
#: send (no transaction open) and after (in the record transaction, once delivered).
@dataclass(frozen=True)
class Channel:
    targets: Callable[[Session, Mapping[str, Any], Notification], list[str]]
    send: Callable[[Outgoing, Mapping[str, Any]], Outcome]
    prepare: Callable[[Session, Mapping[str, Any], Outgoing], Any] | None = None
    after: Callable[[Session, Outgoing], None] | None = None


def send_budget(config: Mapping[str, Any]) -> float:
    """Seconds one send may take in all: the connect timeout plus the read timeout. A
    receiver that trickles its answer a byte at a time never trips a read timeout, so both
    channels enforce this as a deadline; the run's lease is sized by it."""
    return float(
        config["DELIVERY_CONNECT_TIMEOUT_SECONDS"] + config["DELIVERY_READ_TIMEOUT_SECONDS"]
    )
