"""A contractor's secret calendar feed: the URL, its rotation, and the .ics it serves.

Phone calendars subscribe to ``/calendar/<secret>.ics`` without a bearer token, so the
secret in the URL is the only key. It is ``HMAC-SHA256(SECRET_KEY, contractor id, salt)``
(256 bits, base64url): the service can show the URL again without storing it, and the
database keeps only its SHA-256 (to find the feed) and the random salt, so a copy of the
database alone opens no feed. Rotating draws a new salt: the new URL works at once and the
old one is a 404. Changing ``SECRET_KEY`` changes every URL; the next ``GET /me/calendar``
of each contractor stores the new hash.

The feed holds the contractor's shifts from ``FEED_PAST`` ago to ``FEED_FUTURE`` ahead,
cancelled ones included as ``STATUS:CANCELLED`` so subscribed clients remove them. Each
event's UID is ``shift-<id>@workforce`` and its SEQUENCE the shift's ``sequence``, bumped
whenever the time, queue, contractor or status of the shift changes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.contractors.services import get_contractor
from workforce.errors import NotFound
from workforce.holidays import holiday_lookup
from workforce.queues.models import Queue
from workforce.scheduling.calendar import CalendarEvent, render_calendar
from workforce.scheduling.models import CalendarFeed
from workforce.shifts.models import Shift, ShiftHandover
from workforce.timeutil import load_zone, local_date

__all__ = ["FEED_FUTURE", "FEED_PAST", "feed_url", "render_feed", "rotate_feed"]

FEED_PAST = dt.timedelta(days=62)
FEED_FUTURE = dt.timedelta(days=400)
CALENDAR_NAME = "Workforce shifts"
#: base64url of 32 bytes without padding is 43 characters
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


def _secret(contractor_id: int, salt: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"workforce.calendar.v1:{contractor_id}:{salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _url(secret: str) -> dict[str, str]:
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    url = f"{base}/calendar/{secret}.ics"
    return {"url": url, "webcal_url": re.sub(r"^https?://", "webcal://", url)}


def feed_url(session: Session, contractor_id: int) -> dict[str, str]:
    """The contractor's feed URL, creating the feed on first use."""
    get_contractor(session, contractor_id)
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.contractor_id == contractor_id))
    if feed is None:
        salt = secrets.token_hex(16)
        secret = _secret(contractor_id, salt)
        try:
            with session.begin_nested():
                session.add(
                    CalendarFeed(contractor_id=contractor_id, salt=salt, secret_hash=_hash(secret))
                )
        except IntegrityError:  # a concurrent first request created it: use theirs
            feed = session.scalars(
                select(CalendarFeed).where(CalendarFeed.contractor_id == contractor_id)
            ).one()
        else:
            audit.record(session, "calendar_feed.create", "contractor", contractor_id, {})
            return _url(secret)
    secret = _secret(contractor_id, feed.salt)
    if feed.secret_hash != _hash(secret):  # SECRET_KEY changed since
        feed.secret_hash = _hash(secret)
        session.flush()
    return _url(secret)


def rotate_feed(session: Session, contractor_id: int, now: dt.datetime) -> dict[str, str]:
    """A new secret URL; the old one answers 404 from now on."""
    feed_url(session, contractor_id)
    feed = session.scalars(
        select(CalendarFeed).where(CalendarFeed.contractor_id == contractor_id)
    ).one()
    feed.salt = secrets.token_hex(16)
    secret = _secret(contractor_id, feed.salt)
    feed.secret_hash = _hash(secret)
    feed.rotated_at = now
    session.flush()
    audit.record(session, "calendar_feed.rotate", "contractor", contractor_id, {})
    return _url(secret)


def _contractor_for(session: Session, secret: str) -> Contractor:
    """Whose feed this is; an offboarded contractor's phone, still polling, gets what an
    unknown address gets."""
    contractor = None
    if _SECRET.fullmatch(secret):
        contractor = session.scalar(
            select(Contractor)
            .join(CalendarFeed, CalendarFeed.contractor_id == Contractor.id)
            .where(CalendarFeed.secret_hash == _hash(secret), Contractor.status != "offboarded")
        )
    if contractor is None:
        raise NotFound("no calendar at this address", code="calendar_not_found")
    return contractor


def _uid(shift_id: int) -> str:
    return f"shift-{shift_id}@workforce"


def _handed_over(
    session: Session, contractor_id: int, window: tuple[dt.datetime, dt.datetime]
) -> list[CalendarEvent]:
    """Shifts taken off the contractor and not given back, as cancelled events (the latest
    handover of each), so their calendar app drops them."""
    latest: dict[int, tuple[ShiftHandover, Queue]] = {}
    for handover, queue in session.execute(
        select(ShiftHandover, Queue)
        .join(Shift, Shift.id == ShiftHandover.shift_id)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            ShiftHandover.contractor_id == contractor_id,
            ShiftHandover.starts_at >= window[0],
            ShiftHandover.starts_at < window[1],
            Shift.contractor_id.is_distinct_from(contractor_id),
        )
        .order_by(ShiftHandover.sequence)
    ):
        latest[handover.shift_id] = (handover, queue)
    return [
        CalendarEvent(
            uid=_uid(handover.shift_id),
            start=handover.starts_at,
            end=handover.ends_at,
            summary=queue.name,
            description=f"{queue.name} ({queue.slug}), Workforce shift {handover.shift_id}: "
            "reassigned",
            sequence=handover.sequence,
            cancelled=True,
            last_modified=handover.created_at,
        )
        for handover, queue in latest.values()
    ]


def render_feed(session: Session, secret: str, now: dt.datetime) -> str:
    """The RFC 5545 calendar behind ``secret``, or 404."""
    contractor = _contractor_for(session, secret)
    tz = load_zone(contractor.timezone)
    holidays = holiday_lookup(contractor.country, contractor.subdivision)
    window = (now - FEED_PAST, now + FEED_FUTURE)
    rows = session.execute(
        select(Shift, Queue)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            Shift.contractor_id == contractor.id,
            Shift.starts_at >= window[0],
            Shift.starts_at < window[1],
        )
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    events = []
    for shift, queue in rows:
        holiday = holidays(local_date(shift.starts_at, tz))
        description = f"{queue.name} ({queue.slug}), Workforce shift {shift.id}"
        if holiday:
            description += f"\nPublic holiday: {holiday}"
        events.append(
            CalendarEvent(
                uid=_uid(shift.id),
                start=shift.starts_at,
                end=shift.ends_at,
                summary=queue.name,
                description=description,
                sequence=shift.sequence,
                cancelled=shift.status == "cancelled",
                last_modified=shift.updated_at,
            )
        )
    events += _handed_over(session, contractor.id, window)
    events.sort(key=lambda event: (event.start, event.uid))
    return render_calendar(CALENDAR_NAME, contractor.timezone, events, now)
