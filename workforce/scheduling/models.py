"""Scheduling's own tables: calendar feeds (the secret URL a contractor's calendar app
subscribes to), availability windows, time-off requests and shift offers (swap and drop)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
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


#: open: waiting for a taker; accepted: a taker said yes, ops (or the auto-approve policy)
#: decide; approved: the shift moved; rejected, withdrawn: it did not (docs/offers.md).
OFFER_STATUSES = ("open", "accepted", "approved", "rejected", "withdrawn")
#: An offer still in play (at most one accepted per shift: the unique partial index below).
LIVE_OFFER_STATUSES = ("open", "accepted")


class ShiftOffer(Base):
    """A contractor offers their shift to a colleague (or anyone eligible), or ops offer a
    shift to the cover finder's best candidates; the giver keeps it until the move is
    approved. A swap is two offers accepted together, each pointing
    at the other through ``swap_offer_id``, approved or refused as one."""

    __tablename__ = "shift_offers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'accepted', 'approved', 'rejected', 'withdrawn')",
            name="status_known",
        ),
        # one accepted offer per shift: two takers racing for offers of it meet here
        Index(
            "uq_shift_offers_accepted_shift",
            "shift_id",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
        Index("ix_shift_offers_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    #: Who held the shift when it was offered; None: an open shift ops offered
    #: (``POST /shifts/{id}/offer-to``).
    from_contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    #: Offered to one colleague only; None: to anyone who may take it.
    to_contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    reason: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(12), default="open")
    #: Who accepted it.
    taker_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The other half of a swap.
    swap_offer_id: Mapped[int | None] = mapped_column(ForeignKey("shift_offers.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: ``ops``, ``admin`` or ``policy`` (auto-approved).
    decided_by: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
