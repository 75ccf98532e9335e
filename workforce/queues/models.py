"""Work queues (projects): what content they carry and who may work them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow


class Queue(Base):
    __tablename__ = "queues"
    __table_args__ = (CheckConstraint("tier BETWEEN 0 AND 3", name="tier_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What moderation platforms send in exposure events and eligibility checks.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: 0 none, 1 low, 2 high, 3 egregious (workforce.harm.TIERS).
    tier: Mapped[int] = mapped_column(Integer)
    #: Harm categories the queue carries; tier 0 has none, tier >= 1 at least one.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Every one of these ``{"kind", "code"}`` must be held, verified and unexpired.
    required_credentials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ISO 639 language the work is in; needs a verified ``language`` credential.
    language: Mapped[str | None] = mapped_column(String(3))
    #: Where rotated people's shifts go; must be tier 0.
    fallback_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
