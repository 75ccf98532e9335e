"""Rotations: periods in which a contractor is kept off sensitive (tier >= 2) queues."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow

ROTATION_REASONS = (
    "daily_limit",
    "weekly_limit",
    "consecutive_days",
    "planned",
    "credential_expired",
    "wellbeing",
    "self_requested",
    "manual",
)
ROTATION_STATUSES = ("active", "ended", "overturned")
#: A human review of an automated rotation: asked by the contractor, answered by ops/admin.
REVIEW_STATUSES = ("requested", "upheld", "overturned")


class Rotation(Base):
    __tablename__ = "rotations"
    __table_args__ = (
        CheckConstraint("ends_at > started_at", name="ends_after_start"),
        CheckConstraint("status IN ('active', 'ended', 'overturned')", name="status_known"),
        Index("ix_rotations_contractor_window", "contractor_id", "started_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    reason: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: Why, in terms a person can check: rule, policy version, measured value, limit, window.
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: When the breach that caused it happened (automated rotations), for breach->rotation time.
    breach_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_token_id: Mapped[int | None] = mapped_column(Integer)
    shifts_reassigned: Mapped[int] = mapped_column(Integer, default=0)
    shifts_cancelled: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(2000))
    #: None, ``requested`` (the contractor contests it), ``upheld`` or ``overturned``.
    review_status: Mapped[str | None] = mapped_column(String(12))
    review_comment: Mapped[str | None] = mapped_column(String(2000))
    review_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_answer: Mapped[str | None] = mapped_column(String(2000))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
