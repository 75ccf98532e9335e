"""The outbox: notifications written in the same transaction as what caused them,
delivered later by a job (webhooks) and readable by contractors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow

AUDIENCES = ("contractor", "ops", "compliance", "wellbeing")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_pending", "delivered_at", "next_attempt_at"),)

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
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))


class WebhookDelivery(Base):
    """The delivery log: one row per attempt to post a notification to a webhook."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
