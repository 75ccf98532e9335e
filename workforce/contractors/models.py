"""Contractors: the people Workforce keeps safe and pays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow

CONTRACTOR_STATUSES = ("active", "suspended", "offboarded")


class Contractor(Base):
    __tablename__ = "contractors"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'offboarded')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The employer's own identifier; moderation platforms may send it instead of our id.
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: Stored lower-case so that uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    subdivision: Mapped[str | None] = mapped_column(String(6))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    sensitive_consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Harm categories the contractor will not be shown (workforce.harm.HARM_CATEGORIES).
    opt_outs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    offboarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
