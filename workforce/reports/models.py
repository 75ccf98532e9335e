"""Stored report runs: what was produced, for whom, and its content hash (evidence)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String
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
