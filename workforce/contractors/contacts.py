"""A contractor's contact for the email channel (:mod:`workforce.notifications.contacts`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor
from workforce.notifications.contacts import Contact, provide


@provide
def contractor_contact(session: Session, contractor_id: int) -> Contact | None:
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        return None
    return Contact(
        contractor.id, contractor.email, contractor.locale, contractor.country, contractor.timezone
    )
