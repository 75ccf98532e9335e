"""Shared pieces of the exposure tests: queues, events, ingestion and recounts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from tests.factories import make_contractor, make_queue, make_token
from workforce import db
from workforce.contractors.models import Contractor
from workforce.contractors.services import set_consent
from workforce.exposure.ingest import ingest
from workforce.exposure.models import ContractorDay, ExposureDaily, ExposureEvent

QUEUES = (
    {"slug": "gore", "name": "Gore", "tier": 3, "categories": ["violence_gore", "animal_cruelty"]},
    # a second queue of the same tier and category: roll-ups must keep the two apart
    {"slug": "gore-b", "name": "Gore B", "tier": 3, "categories": ["violence_gore"]},
    {"slug": "hate", "name": "Hate", "tier": 2, "categories": ["hate_extremism"]},
    {"slug": "spam", "name": "Spam", "tier": 1, "categories": ["harassment", "sexual_content"]},
    {"slug": "safe", "name": "Safe", "tier": 0},
)
CATEGORY = {
    "gore": "violence_gore",
    "gore-b": "violence_gore",
    "hate": "hate_extremism",
    "spam": "harassment",
    "safe": None,
}
DailyKey = tuple[int, dt.date, int, str, int]


def make_queues(app: Flask) -> None:
    with app.app_context(), db.transaction(app) as session:
        for data in QUEUES:
            make_queue(session, **data)


def consent(app: Flask, contractor_id: int) -> None:
    """Consent to sensitive work, dated early in 2026 so tests may ask about any day since."""
    with db.transaction(app) as session:
        set_consent(session, contractor_id, True)
        contractor = session.get(Contractor, contractor_id)
        assert contractor is not None
        contractor.sensitive_consent_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def ingest_token(app: Flask, name: str = "platform") -> int:
    return make_token(app, "ingest", name=name).id


def event(
    event_id: str,
    contractor_id: int,
    started_at: dt.datetime,
    seconds: int,
    queue: str = "gore",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": event_id,
        "contractor_id": contractor_id,
        "queue": queue,
        "started_at": started_at.isoformat(),
        "duration_seconds": seconds,
    }
    if CATEGORY[queue]:
        body["category"] = CATEGORY[queue]
    body.update(extra)
    return body


def ingest_now(app: Flask, token_id: int, events: list[dict[str, Any]], now: dt.datetime) -> Any:
    with app.test_request_context(), db.transaction(app) as session:
        return ingest(session, token_id, events, now=now)


def daily(app: Flask, by_modality: bool = False) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """Roll-ups as (contractor, local day, tier, category, queue id[, modality,
    mitigations]) -> (seconds, items, events)."""
    with db.get_db(app).reader() as session:
        return {
            (r.contractor_id, r.local_day, r.tier, r.category, r.queue_id)
            + ((r.modality, r.mitigations) if by_modality else ()): (
                r.seconds,
                r.items,
                r.events,
            )
            for r in session.scalars(select(ExposureDaily))
        }


def raw_count(app: Flask) -> int:
    with db.get_db(app).reader() as session:
        return session.scalar(select(func.count()).select_from(ExposureEvent)) or 0


def recount(app: Flask, by_modality: bool = False) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """Roll-ups recomputed from the raw events, independently of the ingestion code: each
    event is cut at the local midnights zoneinfo gives for its contractor's zone (keyed by
    modality and mitigations too when ``by_modality``, ``unknown`` when an event did not
    say)."""
    totals: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    with db.get_db(app).reader() as session:
        zones = {c.id: ZoneInfo(c.timezone) for c in session.scalars(select(Contractor))}
        for e in session.scalars(select(ExposureEvent).where(ExposureEvent.tier >= 1)):
            zone = zones[e.contractor_id]
            start = e.started_at
            end = start + dt.timedelta(seconds=e.duration_seconds)
            first_day = start.astimezone(zone).date()
            extra = (e.modality or "unknown", e.mitigations or "unknown") if by_modality else ()
            first = (e.contractor_id, first_day, e.tier, e.category or "", e.queue_id, *extra)
            totals[first][1] += e.items
            totals[first][2] += 1
            day, cursor = first_day, start
            while True:
                midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
                piece_end = min(end, midnight.astimezone(dt.UTC))
                whole = int(piece_end.timestamp() // 1) - int(cursor.timestamp() // 1)
                if whole or e.duration_seconds == 0:
                    key = (e.contractor_id, day, e.tier, e.category or "", e.queue_id, *extra)
                    totals[key][0] += whole
                if piece_end >= end:
                    break
                cursor, day = piece_end, day + dt.timedelta(days=1)
    return {key: (s, i, n) for key, (s, i, n) in totals.items()}


def contractor_days(app: Flask) -> dict[tuple[int, dt.date], tuple[int, ...]]:
    """The per-day roll-up: (contractor, local day) -> (seconds at tier >= 1, >= 2, >= 3,
    breaks due, breaks missed), days with nothing left out."""
    with db.get_db(app).reader() as session:
        return {
            (r.contractor_id, r.local_day): values
            for r in session.scalars(select(ContractorDay))
            if any(
                values := (
                    r.tier1_seconds,
                    r.tier2_seconds,
                    r.tier3_seconds,
                    r.breaks_due,
                    r.breaks_missed,
                )
            )
        }


def per_contractor_day(
    seconds: dict[DailyKey, int], breaks: dict[DailyKey, tuple[int, int]] | None = None
) -> dict[tuple[int, dt.date], tuple[int, ...]]:
    """Roll-up rows (seconds, and due and missed breaks) summed as :func:`contractor_days`
    reports them."""
    days: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (cid, day, tier, _category, _queue), value in seconds.items():
        row = days[(cid, day)]
        for t in (1, 2, 3):
            row[t - 1] += value if tier >= t else 0
    for (cid, day, *_rest), (due, missed) in (breaks or {}).items():
        days[(cid, day)][3] += due
        days[(cid, day)][4] += missed
    return {key: tuple(row) for key, row in days.items() if any(row)}


def over_the_cap(app: Flask, count: int) -> list[int]:
    """``count`` contractors with 275 minutes of tier-3 work ending a minute ago (the daily
    cap is 240), in a zone where it is about noon, so the local day holds all of it."""
    now = db.utcnow()
    zone = f"Etc/GMT{-(12 - now.hour):+d}"  # Etc/GMT-3 is UTC+3
    make_queues(app)
    with app.app_context(), db.transaction(app) as session:
        ids = [make_contractor(session, timezone=zone) for _ in range(count)]
    events = [
        event(f"{cid}-{k}", cid, now - dt.timedelta(minutes=1 + 60 * (5 - k)), 55 * 60)
        for cid in ids
        for k in range(5)
    ]
    ingest_now(app, ingest_token(app), events, now)
    return ids
