"""A contractor's choice of which notices they get by email (``/me/notification-preferences``
and the portal's notifications page). Safety-critical kinds cannot be turned off."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from workforce import audit
from workforce.errors import InvalidInput
from workforce.notifications.email import CONTRACTOR_TEXTS, REQUIRED, muted
from workforce.notifications.models import NotificationPreference

#: Every kind a contractor may get by email, in a stable order.
EMAIL_KINDS = tuple(sorted(CONTRACTOR_TEXTS))


def preferences(session: Session, contractor_id: int) -> dict[str, Any]:
    off = set(muted(session, contractor_id))
    return {
        "muted": sorted(off),
        "kinds": [
            {"kind": kind, "email": kind not in off, "required": kind in REQUIRED}
            for kind in EMAIL_KINDS
        ],
    }


def set_muted(session: Session, contractor_id: int, kinds: Iterable[str]) -> dict[str, Any]:
    """Replace the kinds turned off; an unknown or a required kind is a 422 naming it."""
    chosen = sorted(set(kinds))
    for kind in chosen:
        if kind not in CONTRACTOR_TEXTS:
            raise InvalidInput.field("muted", f"{kind!r} is not a notification kind sent by email")
        if kind in REQUIRED:
            raise InvalidInput.field(
                "muted", f"{kind!r} is safety-critical and cannot be turned off"
            )
    preference = session.get(NotificationPreference, contractor_id)
    if preference is None:
        preference = NotificationPreference(contractor_id=contractor_id, muted=chosen)
        session.add(preference)
    else:
        preference.muted = chosen
    session.flush()
    audit.record(
        session,
        "notification_preferences.update",
        "contractor",
        contractor_id,
        {"muted": chosen},
    )
    return preferences(session, contractor_id)
