"""Shifts: planned and worked time of a contractor on a queue, stored in UTC."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow

SHIFT_STATUSES = ("scheduled", "in_progress", "completed", "cancelled", "missed")


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "status IN ('scheduled', 'in_progress', 'completed', 'cancelled', 'missed')",
            name="status_known",
        ),
        Index("ix_shifts_contractor_starts", "contractor_id", "starts_at"),
        Index("ix_shifts_queue_starts", "queue_id", "starts_at"),
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
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class JobRun(Base):
    """One run of a scheduled job by the active scheduler (standbys record nothing)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool] = mapped_column(Boolean)
    #: What the run did, e.g. {"rotations": 2, "warnings": 5}.
    effects: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(1000))
