"""A contractor's calendar feed: the secret URL their calendar app subscribes to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
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
