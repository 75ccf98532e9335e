"""Rotation state that other rules read (eligibility, shift planning)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.wellbeing.models import Rotation


def active_rotation(session: Session, contractor_id: int, at: dt.datetime) -> Rotation | None:
    """The rotation keeping the contractor off tier >= 2 work at ``at``, if any."""
    return session.scalar(
        select(Rotation)
        .where(
            Rotation.contractor_id == contractor_id,
            Rotation.status == "active",
            Rotation.started_at <= at,
            Rotation.ends_at > at,
        )
        .order_by(Rotation.ends_at.desc())
        .limit(1)
    )
