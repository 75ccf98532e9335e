"""Rotations: periods in which a contractor is kept off sensitive (tier >= 2) queues, and
what the rotation sweep last measured of each contractor. Ops read rotations; the private
side of a wellbeing rotation lives in ``workforce.wellbeing.models.RotationNote``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
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


class SweepMark(Base):
    """What the rotation sweep last measured of a contractor: the runs row's ``changes``
    count and the policy version then; the next sweeps skip the contractor until either
    moves, or until ``recheck_us`` (microseconds since the epoch, UTC) when a new local day
    alone can change the outcome. No row: measure at the next sweep."""

    __tablename__ = "sweep_marks"

    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger)
    policy_version: Mapped[int] = mapped_column(Integer)
    recheck_us: Mapped[int | None] = mapped_column(BigInteger)


class Rotation(Base):
    __tablename__ = "rotations"
    __table_args__ = (
        CheckConstraint("ends_at > started_at", name="ends_after_start"),
        CheckConstraint("status IN ('active', 'ended', 'overturned')", name="status_known"),
        Index("ix_rotations_contractor_window", "contractor_id", "started_at", "ends_at"),
        # One rotation per breach, enforced by the schema: two sweeps racing (an API sweep
        # beside the scheduler's) cannot both insert it (see ``start_rotation_once``).
        Index(
            "uq_rotations_contractor_breach_key",
            "contractor_id",
            "breach_key",
            unique=True,
            sqlite_where=text("breach_key IS NOT NULL"),
            postgresql_where=text("breach_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    reason: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: Why, in terms a person can check: rule, policy version, measured value, limit, window.
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: ``explanation["breach_key"]`` of automated rotations (``rule:tier:local day``,
    #: ``planned:<monday>``...); None for manual, wellbeing and self-requested ones.
    breach_key: Mapped[str | None] = mapped_column(String(200))
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
