"""Scheduling's own tables: calendar feeds, availability windows and time-off requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow


class CalendarFeed(Base):
    """A contractor's secret calendar feed URL, stored as a hash only.

    The secret is ``HMAC(SECRET_KEY, contractor id + salt)``: the service can show the URL
    again (``GET /me/calendar``) without storing it, and a copy of the database alone does
    not reveal it. Rotating draws a new salt, so the old URL stops matching at once.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    #: SHA-256 (hex) of the secret in the URL; the only way a request finds the feed.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AvailabilityWindow(Base):
    """One weekly window in which a contractor is available, in their local wall time.

    ``start_minute`` and ``end_minute`` count minutes from local midnight of ``weekday``
    (0 = Monday); ``end_minute`` 1440 is midnight at the end of the day. A contractor
    without any window is available at any time (docs/scheduling.md, "Availability").
    """

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_known"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="window_in_day",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


TIME_OFF_KINDS = ("vacation", "sick", "personal", "wellbeing")
TIME_OFF_STATUSES = ("pending", "approved", "rejected", "cancelled")


class TimeOffRequest(Base):
    """A contractor's request for time off, local dates ``starts_on``..``ends_on`` inclusive.

    ``kind`` ``wellbeing`` is shown to the contractor only; ops, audit and notifications see
    it as ``time_off`` without its note (:func:`workforce.scheduling.time_off.public_kind`).
    """

    __tablename__ = "time_off_requests"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("kind IN ('vacation', 'sick', 'personal', 'wellbeing')", name="kind_known"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'cancelled')", name="status_known"
        ),
        Index("ix_time_off_requests_contractor_starts", "contractor_id", "starts_on"),
        Index("ix_time_off_requests_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: ops' comment on approval or rejection
    comment: Mapped[str | None] = mapped_column(String(2000))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: scheduled shifts approval turned into ``needs_cover``
    shifts_released: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
