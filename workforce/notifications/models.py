"""The outbox: notifications written in the same transaction as what caused them,
routed to deliveries (a webhook or an email address each) that a job sends later, and
readable by contractors and staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workforce.db import Base, UTCDateTime, utcnow

AUDIENCES = ("contractor", "ops", "compliance", "wellbeing")


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: e.g. credential.expiring, credential.expired, rotation.started, exposure.warning
    kind: Mapped[str] = mapped_column(String(60), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    #: Makes a job's notices once-only: the same key is never written twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: When its deliveries were made from the routing configuration (None: not yet).
    routed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)


#: A delivery is pending (due at next_attempt_at, perhaps leased), delivered or dead.
DELIVERY_STATUSES = ("pending", "delivered", "dead")


class Delivery(Base):
    """One notification to one target (a webhook URL or an email address), with its
    retries. A sender leases a batch (claimed_by, lease_until) in a short transaction,
    sends with none open and records the outcome in another; a lease left by a sender
    that died expires and the delivery is sent again (receivers de-duplicate by its
    ``webhook-id`` / ``Message-ID``)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", "target"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    #: "webhook" or "email"
    channel: Mapped[str] = mapped_column(String(10))
    #: The webhook URL or the email address.
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification] = relationship(lazy="joined")


class NotificationPreference(Base):
    """The notification kinds a contractor chose not to get by email."""

    __tablename__ = "notification_preferences"

    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    muted: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
