"""Shifts: planned and worked time of a contractor on a queue, stored in UTC."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workforce.db import Base, UTCDateTime, utcnow

SHIFT_STATUSES = ("scheduled", "in_progress", "completed", "cancelled", "missed")


class ShiftPattern(Base):
    """A weekly pattern planned in one request; its shifts point back to it.

    Kept as it was asked for (local wall time, days, zone at the time), so ops can see
    where a run of shifts came from; the shifts themselves are the source of truth.
    """

    __tablename__ = "shift_patterns"
    __table_args__ = (
        CheckConstraint("until >= starts_on", name="until_after_start"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    #: 0 = Monday .. 6 = Sunday, sorted
    days_of_week: Mapped[list[int]] = mapped_column(JSON)
    #: local wall time "HH:MM" in ``timezone``
    local_start: Mapped[str] = mapped_column(String(5))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date] = mapped_column(Date)
    #: the contractor's zone when the pattern was expanded
    timezone: Mapped[str] = mapped_column(String(64))
    override_reason: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set by ``DELETE /shift-patterns/{id}``: its future shifts were cancelled; the row
    #: stays because its past shifts point to it.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    shifts: Mapped[list[Shift]] = relationship(order_by="Shift.starts_at", viewonly=True)


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "status IN ('scheduled', 'in_progress', 'completed', 'cancelled', 'missed')",
            name="status_known",
        ),
        #: a contractor's shifts in a window (enforce), and those of thousands at once,
        #: without the table's rows (the cover finder; migration 0197)
        Index(
            "ix_shifts_contractor_starts_cover", "contractor_id", "starts_at", "status", "ends_at"
        ),
        Index("ix_shifts_queue_starts", "queue_id", "starts_at"),
        #: the missed-shift job scans scheduled shifts that have started; the cover finder
        #: aggregates counted shifts around one from the index alone (migration 0196)
        Index("ix_shifts_status_starts_cover", "status", "starts_at", "contractor_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: None for an open shift that eligible contractors may claim.
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    clock_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    clock_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Bumped on every change so calendar clients replace their copy (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: Set when a rotation cancelled the shift and nobody covers it yet.
    needs_cover: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(2000))
    #: Why ops planned it despite an hour rule (rest, length, weekly hours); audited.
    override_reason: Mapped[str | None] = mapped_column(String(2000))
    #: The weekly pattern the shift was planned from, if any.
    pattern_id: Mapped[int | None] = mapped_column(ForeignKey("shift_patterns.id"), index=True)
    #: Set when ops corrected the clock-in/out times; the old values are in the audit log.
    correction_reason: Mapped[str | None] = mapped_column(String(2000))
    corrected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ShiftHandover(Base):
    """A shift taken off a contractor (reassigned to someone else, or opened). Their
    calendar feed keeps sending it as cancelled, with the shift's new sequence, so their
    calendar app removes it instead of keeping a shift that is no longer theirs."""

    __tablename__ = "shift_handovers"
    __table_args__ = (Index("ix_shift_handovers_contractor_starts", "contractor_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    #: Who held the shift before.
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    #: The shift's times as that contractor had them.
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: The shift's sequence after the change.
    sequence: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
