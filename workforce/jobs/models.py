"""The scheduler's own records: every job run, and the heartbeat of each scheduler process."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime


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


class SchedulerHeartbeat(Base):
    """The last sign of life of each scheduler process, active or standby: readiness
    (``GET /health/ready``) reports a scheduler silent for three heartbeats."""

    __tablename__ = "scheduler_heartbeats"

    #: ``host:pid`` of the process.
    scheduler_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
