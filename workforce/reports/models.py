"""Stored report runs: what was produced, for whom, and its content hash (evidence)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow


class ReportRun(Base):
    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``exposure`` or ``rotations``.
    kind: Mapped[str] = mapped_column(String(20), index=True)
    #: The whole report as served (JSON), including its evidence envelope.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of ``content`` (see workforce/reports/evidence.py).
    sha256: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    generated_by_name: Mapped[str] = mapped_column(String(200))
    generated_by_role: Mapped[str] = mapped_column(String(32))
    generated_by_token_id: Mapped[int | None] = mapped_column(Integer)


class WellbeingBin(Base):
    """A wellbeing report bin (an ISO week or a calendar month that is over) as first computed:
    who was in each group and who checked in, flagged or not.

    Every later report over the bin reads this, so its figures never change again: moving a
    contractor to another country or backdating a shift cannot add one person to a released
    cell. Internal only: no API serves it. Whether each participant was flagged in the bin is
    as sensitive as ``check_ins.flagged``; no answers or scores are kept.
    """

    __tablename__ = "wellbeing_bins"
    __table_args__ = (UniqueConstraint("kind", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``week`` or ``month``.
    kind: Mapped[str] = mapped_column(String(5))
    start: Mapped[dt.date] = mapped_column(Date)
    frozen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: ``{"groups": {grouping: {key: [contractor ids]}}, "checked": {id: flagged}}``
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
