"""``flask seed-demo``: a small demo workforce so a new user sees something at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.contractors.services import create_contractor

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


def seed(session: Session) -> list[str]:
    """Create what is missing (idempotent); return a line per thing created."""
    lines = []
    existing = set(session.scalars(select(Contractor.external_ref)))
    for data in DEMO_CONTRACTORS:
        if data["external_ref"] in existing:
            continue
        contractor = create_contractor(session, data)
        lines.append(f"contractor {contractor.id}: {contractor.full_name} ({contractor.country})")
    return lines or ["demo workforce already present"]
