"""Rotation state that other rules read (eligibility, shift planning), and starting one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.errors import InvalidInput
from workforce.notifications.services import notify_once
from workforce.wellbeing.models import ROTATION_REASONS, Rotation


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


def start_rotation(
    session: Session,
    *,
    contractor_id: int,
    reason: str,
    started_at: dt.datetime,
    ends_at: dt.datetime,
    explanation: dict[str, Any],
    breach_at: dt.datetime | None = None,
) -> Rotation:
    """Keep a contractor off tier >= 2 queues from ``started_at`` to ``ends_at``.

    Eligibility reads the row at once. The audit event and the contractor's notice carry the
    reason and the dates only: ``explanation`` is for the rotation's readers, and anything
    private (a counsellor's details) never reaches this function.
    """
    if reason not in ROTATION_REASONS:
        raise ValueError(f"unknown rotation reason {reason!r}")
    if ends_at <= started_at:
        raise InvalidInput.field("ends_at", "must be after the start of the rotation")
    rotation = Rotation(
        contractor_id=contractor_id,
        reason=reason,
        status="active",
        started_at=started_at,
        ends_at=ends_at,
        explanation=explanation,
        breach_at=breach_at,
        created_by_token_id=audit.current_actor().token_id,
    )
    session.add(rotation)
    session.flush()
    dates = {"started_at": started_at.isoformat(), "ends_at": ends_at.isoformat()}
    audit.record(
        session,
        "rotation.start",
        "rotation",
        rotation.id,
        {"contractor_id": contractor_id, "reason": reason, **dates},
    )
    notify_once(
        session,
        kind="rotation.started",
        audience="contractor",
        dedupe_key=f"rotation:{rotation.id}:started",
        payload={"rotation_id": rotation.id, "reason": reason, **dates},
        contractor_id=contractor_id,
    )
    return rotation
