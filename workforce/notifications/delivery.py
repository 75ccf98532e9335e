"""Sending the outbox without holding the database.

A run (the scheduler's ``deliver-notifications`` job, or an immediate attempt after a
request commits) has three steps:

1. one short write transaction routes new notifications to deliveries and leases a batch
   of due ones (``claimed_by``/``lease_until``), reading everything the senders need;
2. the senders post and mail with no transaction open, each call bounded by connect and
   read timeouts, so a receiver that hangs costs this run time, never another writer;
3. another short transaction records each outcome: delivered, retry later with
   exponential backoff and jitter, or dead after ``DELIVERY_MAX_ATTEMPTS``.

A run that dies between 1 and 3 leaves leases that expire; the deliveries are then sent
again, under the same ``webhook-id``/``Message-ID`` so receivers can de-duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workforce import db
from workforce.notifications import email, webhooks
from workforce.notifications.channels import Channel, Outcome, Outgoing, send_budget
from workforce.notifications.models import Delivery, Notification

log = logging.getLogger(__name__)

#: First retry after about 30 s, doubling, never more than 6 h apart.
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=6)
#: Deliveries leased per run; with the timeouts this bounds a run's length (and its lease).
BATCH = 20
#: Slack on top of the worst case of a batch's timeouts before a lease may be taken over.
LEASE_SLACK = dt.timedelta(seconds=60)
#: Notifications routed to deliveries per run.
ROUTE_BATCH = 500
#: Jitter from a generator of our own: the delivery threads must not draw from (and so
#: disturb) the interpreter's shared random state, which other code may have seeded.
_JITTER = random.Random()


def backoff(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after ``attempts`` failures: exponential, capped, with "equal jitter"
    (between half and all of the exponential step) so receivers that come back are not
    hit by every sender at the same instant."""
    # The exponent is capped where the step passes MAX_BACKOFF, so large attempt counts
    # cannot overflow a timedelta.
    step = min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 20), MAX_BACKOFF)
    return step / 2 + step / 2 * (rng or _JITTER).random()


#: Every channel a notification may be routed to, by the name stored on its deliveries.
CHANNELS: dict[str, Channel] = {"webhook": webhooks.CHANNEL, "email": email.CHANNEL}


def route(session: Session, config: Mapping[str, Any], now: dt.datetime) -> int:
    """Make the deliveries of notifications not yet routed; returns how many were made."""
    made = 0
    pending = session.scalars(
        select(Notification)
        .where(Notification.routed_at.is_(None))
        .order_by(Notification.id)
        .limit(ROUTE_BATCH)
    ).all()
    for notification in pending:
        for name, channel in CHANNELS.items():
            for target in channel.targets(session, config, notification):
                session.add(
                    Delivery(
                        notification_id=notification.id,
                        channel=name,
                        target=target,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                made += 1
        notification.routed_at = now
    session.flush()
    return made


def lease_length(config: Mapping[str, Any]) -> dt.timedelta:
    return dt.timedelta(seconds=BATCH * send_budget(config)) + LEASE_SLACK


def claim(
    session: Session,
    config: Mapping[str, Any],
    now: dt.datetime,
    owner: str,
    notification_ids: Collection[int] | None = None,
) -> list[Outgoing]:
    """Lease up to BATCH due deliveries (optionally of some notifications only) to ``owner``."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(BATCH)
        # PostgreSQL: two schedulers skip each other's rows instead of waiting for them.
        .with_for_update(skip_locked=True)
    )
    if notification_ids is not None:
        due = due.where(Delivery.notification_id.in_(notification_ids))
    ids = list(session.scalars(due))
    if not ids:
        return []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(claimed_by=owner, lease_until=now + lease_length(config))
    )
    rows = session.execute(
        select(Delivery, Notification)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    ).all()
    leased = []
    for delivery, notification in rows:
        outgoing = Outgoing(
            delivery_id=delivery.id,
            channel=delivery.channel,
            target=delivery.target,
            notification_id=notification.id,
            kind=notification.kind,
            audience=notification.audience,
            contractor_id=notification.contractor_id,
            created_at=notification.created_at,
            payload=dict(notification.payload),
        )
        prepare = CHANNELS[delivery.channel].prepare
        if prepare is not None:
            try:
                outgoing = replace(outgoing, extra=prepare(session, config, outgoing))
            except Exception:
                # One message that cannot be rendered fails alone (its send has nothing to
                # send, so it is retried and goes dead), never the whole batch.
                log.exception("delivery %s could not be prepared", delivery.id)
        leased.append(outgoing)
    return leased


def record(
    session: Session,
    config: Mapping[str, Any],
    now: dt.datetime,
    owner: str,
    leased: list[Outgoing],
    outcomes: list[Outcome],
) -> dict[str, int]:
    """Store outcomes of deliveries still leased to ``owner`` (a lease taken over after
    expiry belongs to the newer run, which records its own)."""
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    by_id = {outgoing.delivery_id: outgoing for outgoing in leased}
    for outcome in outcomes:
        delivery = session.get(Delivery, outcome.delivery_id)
        if delivery is None or delivery.claimed_by != owner:
            continue
        delivery.claimed_by = delivery.lease_until = None
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error[:500] if outcome.error else None
        if outcome.ok:
            delivery.status, delivery.delivered_at = "delivered", now
            counts["delivered"] += 1
            after = CHANNELS[delivery.channel].after
            if after is not None:
                after(session, by_id[delivery.id])
        elif delivery.attempts >= config["DELIVERY_MAX_ATTEMPTS"]:
            delivery.status = "dead"
            counts["dead"] += 1
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            counts["failed"] += 1
    session.flush()
    return counts


def send_all(leased: list[Outgoing], config: Mapping[str, Any]) -> list[Outcome]:
    outcomes = []
    for outgoing in leased:
        try:
            outcomes.append(CHANNELS[outgoing.channel].send(outgoing, config))
        except Exception as error:  # one bad target must not lose the batch
            outcomes.append(Outcome(outgoing.delivery_id, False, error=repr(error)))
    return outcomes


def deliver_due(
    app: Flask, now: dt.datetime, notification_ids: Collection[int] | None = None
) -> dict[str, int]:
    """One delivery run: route and lease, send with no transaction open, record."""
    config = app.config
    owner = uuid.uuid4().hex
    with db.transaction(app) as session:
        routed = route(session, config, now)
        leased = claim(session, config, now, owner, notification_ids)
    outcomes = send_all(leased, config)
    with db.transaction(app) as session:
        counts = record(session, config, now, owner, leased, outcomes)
    return {"routed": routed, **counts}


def retry(session: Session, delivery: Delivery, now: dt.datetime) -> Delivery:
    """Give a dead (or any undelivered) delivery a fresh set of attempts, due now."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
    delivery.claimed_by = delivery.lease_until = None
    session.flush()
    return delivery
