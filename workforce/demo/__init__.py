"""``flask seed-demo``: a small demo workforce so a new user sees something at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.contractors.credentials import decide, submit_credential
from workforce.contractors.models import Contractor
from workforce.contractors.services import create_contractor, set_consent
from workforce.db import utcnow
from workforce.queues.models import Queue
from workforce.queues.services import create_queue
from workforce.scheduling.planning import create_pattern, create_shift
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_date

DEMO_CONTRACTORS = (
    {
        "external_ref": "demo-ke-1",
        "full_name": "Achieng Otieno",
        "email": "achieng@example.org",
        "country": "KE",
        "subdivision": "KE-30",
    },
    {
        "external_ref": "demo-ke-2",
        "full_name": "Wanjiru Kamau",
        "email": "wanjiru@example.org",
        "country": "KE",
        "locale": "en_KE",
    },
    {
        "external_ref": "demo-ph-1",
        "full_name": "Maria Santos",
        "email": "maria@example.org",
        "country": "PH",
        "locale": "fil_PH",
    },
    {
        "external_ref": "demo-in-1",
        "full_name": "Priya Raman",
        "email": "priya@example.org",
        "country": "IN",
        "locale": "en_IN",
        "subdivision": "IN-TN",
    },
    {
        "external_ref": "demo-co-1",
        "full_name": "Camila Restrepo",
        "email": "camila@example.org",
        "country": "CO",
    },
    {
        "external_ref": "demo-us-1",
        "full_name": "Jordan Lee",
        "email": "jordan@example.org",
        "country": "US",
        "subdivision": "US-NY",
        "timezone": "America/New_York",
    },
)


#: A safe queue, a credential-gated one and two sensitive ones with a safe fallback.
DEMO_QUEUES = (
    {"slug": "general-labelling", "name": "General image labelling", "tier": 0},
    {
        "slug": "clinical-notes",
        "name": "Clinical notes QA",
        "tier": 0,
        "required_credentials": [{"kind": "license", "code": "RN"}],
    },
    {
        "slug": "harassment-review",
        "name": "Harassment review (Swahili)",
        "tier": 2,
        "categories": ["harassment", "hate_extremism"],
        "language": "sw",
    },
    {
        "slug": "violent-content",
        "name": "Violent content review",
        "tier": 3,
        "categories": ["violence_gore", "animal_cruelty"],
        "required_credentials": [{"kind": "training", "code": "RESILIENCE_TRAINING"}],
    },
)
#: (external_ref, kind, code, consents to sensitive work)
DEMO_CREDENTIALS = (
    ("demo-ke-1", "training", "RESILIENCE_TRAINING", True),
    ("demo-ke-1", "language", "sw", True),
    ("demo-in-1", "license", "RN", False),
    ("demo-ph-1", "degree", "PHD", True),
)


def seed(session: Session) -> list[str]:
    """Create what is missing (idempotent); return a line per thing created."""
    lines = []
    existing = set(session.scalars(select(Contractor.external_ref)))
    created: dict[str, int] = {}
    for data in DEMO_CONTRACTORS:
        if data["external_ref"] in existing:
            continue
        contractor = create_contractor(session, data)
        created[data["external_ref"]] = contractor.id
        lines.append(f"contractor {contractor.id}: {contractor.full_name} ({contractor.country})")
    slugs = set(session.scalars(select(Queue.slug)))
    fallback_id = None
    for queue_data in DEMO_QUEUES:
        if queue_data["slug"] in slugs:
            continue
        values: dict[str, Any] = dict(queue_data)
        if values["tier"] >= 2 and fallback_id is not None:
            values["fallback_queue_id"] = fallback_id
        queue = create_queue(session, values)
        if queue.slug == "general-labelling":
            fallback_id = queue.id
        lines.append(f"queue {queue.slug} (tier {queue.tier})")
    for ref, kind, code, consents in DEMO_CREDENTIALS:
        if ref not in created:
            continue
        credential = submit_credential(session, created[ref], {"kind": kind, "code": code})
        decide(session, credential.id, "verify", "demo")
        if consents:
            set_consent(session, created[ref], True)
    lines += seed_shifts(session, utcnow())
    return lines or ["demo workforce already present"]


#: external_ref -> the queue their demo week is on (one each is eligible for)
DEMO_SHIFT_QUEUES = {
    "demo-ke-1": "harassment-review",
    "demo-ke-2": "general-labelling",
    "demo-ph-1": "general-labelling",
    "demo-in-1": "clinical-notes",
    "demo-co-1": "general-labelling",
    "demo-us-1": "general-labelling",
}


def seed_shifts(session: Session, now: dt.datetime) -> list[str]:
    """A week of weekday shifts, 09:00-17:00 local from tomorrow, for each demo contractor
    who has no shifts yet, and one open shift to claim when none is upcoming."""
    lines = []
    queues = {q.slug: q for q in session.scalars(select(Queue))}
    for ref, slug in DEMO_SHIFT_QUEUES.items():
        contractor = session.scalar(select(Contractor).where(Contractor.external_ref == ref))
        if contractor is None or slug not in queues:
            continue
        has_shifts = session.scalar(
            select(func.count()).select_from(Shift).where(Shift.contractor_id == contractor.id)
        )
        if has_shifts:
            continue
        tomorrow = local_date(now, load_zone(contractor.timezone)) + dt.timedelta(days=1)
        pattern = create_pattern(
            session,
            {
                "contractor_id": contractor.id,
                "queue_id": queues[slug].id,
                "days_of_week": [0, 1, 2, 3, 4],
                "local_start": dt.time(9, 0),
                "duration_minutes": 8 * 60,
                "starts_on": tomorrow,
                "until": tomorrow + dt.timedelta(days=6),
            },
        )
        lines.append(f"shifts: {len(pattern.shifts)} for {contractor.full_name} on {slug}")
    general = queues.get("general-labelling")
    upcoming_open = session.scalar(
        select(func.count())
        .select_from(Shift)
        .where(Shift.contractor_id.is_(None), Shift.status == "scheduled", Shift.starts_at > now)
    )
    if general is not None and not upcoming_open:
        start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
        shift = create_shift(
            session,
            {"queue_id": general.id, "starts_at": start, "ends_at": start + dt.timedelta(hours=6)},
        )
        lines.append(f"open shift {shift.id} on {general.slug}, to claim")
    return lines
