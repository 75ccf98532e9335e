"""What people do about wellbeing: counsellors' referrals and follow-ups, rotations placed by
a counsellor (reason ``wellbeing``) and rotations a contractor asks for (``self_requested``).

Both rotations go through :func:`workforce.rotations.services.start_rotation`, so eligibility
keeps the contractor off tier >= 2 queues at once; nothing about pay or tier 0-1 work
changes. Their private side (a counsellor's details, a contractor's own reason) lives in
``RotationNote``, never in ``Rotation.explanation``, which ops read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from workforce import audit
from workforce.contractors.services import get_contractor
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.rotations.models import Rotation
from workforce.rotations.services import active_rotation, start_rotation
from workforce.wellbeing import access_log
from workforce.wellbeing.models import FollowUp, Referral, RotationNote

#: A contractor steps off tier 2-3 work for 1 to 14 days at a time, and may ask again; two
#: weeks matches the check-in interval, so a counsellor is offered a look before it ends.
SELF_REQUEST_MIN_DAYS = 1
SELF_REQUEST_MAX_DAYS = 14
#: A counsellor places up to four weeks at a time, then reviews and may place another.
WELLBEING_ROTATION_MAX_DAYS = 28


# --- referrals and follow-ups ---------------------------------------------------------------


def referrals_query(
    *, status: str | None = None, contractor_id: int | None = None, urgent: bool | None = None
) -> Select[tuple[Referral]]:
    """Referrals, urgent first, then open before closed, then newest first."""
    stmt = select(Referral).options(
        selectinload(Referral.check_in), selectinload(Referral.follow_ups)
    )
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    if contractor_id is not None:
        stmt = stmt.where(Referral.contractor_id == contractor_id)
    if urgent is not None:
        stmt = stmt.where(Referral.urgent.is_(urgent))
    return stmt.order_by(
        Referral.urgent.desc(),
        # "open" sorts after "closed"; open ones come first.
        Referral.status.desc(),
        Referral.created_at.desc(),
        Referral.id.desc(),
    )


def get_referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"referral {referral_id} does not exist")
    return referral


def record_follow_up(
    session: Session, referral_id: int, data: Mapping[str, Any], now: dt.datetime
) -> FollowUp:
    """A counsellor's follow-up on a referral; ``close`` closes the referral with it."""
    referral = get_referral(session, referral_id)
    if referral.status == "closed":
        raise Conflict("the referral is closed", code="referral_closed")
    contacted = data["contacted"]
    contacted_at = data.get("contacted_at")
    if contacted_at is not None and not contacted:
        raise InvalidInput.field("contacted_at", "only a follow-up that made contact has one")
    if contacted_at is not None and contacted_at > now:
        raise InvalidInput.field("contacted_at", "must not be in the future")
    next_date = data.get("next_date")
    # A day of slack: "today" somewhere on Earth may still be yesterday in UTC.
    if next_date is not None and next_date < (now - dt.timedelta(days=1)).date():
        raise InvalidInput.field("next_date", "must not be in the past")
    follow_up = FollowUp(
        referral_id=referral.id,
        contractor_id=referral.contractor_id,
        counsellor_token_id=audit.current_actor().token_id,
        contacted=contacted,
        contacted_at=(contacted_at or now) if contacted else None,
        outcome=data["outcome"],
        next_date=next_date,
        created_at=now,
    )
    session.add(follow_up)
    if data.get("close"):
        referral.status = "closed"
        referral.closed_at = now
    session.flush()
    # Whose goes to the counsellor-only access log; the outcome stays in follow_ups.
    access_log.record_action(session, referral.contractor_id, "follow_up", follow_up.id)
    return follow_up


# --- rotations ------------------------------------------------------------------------------


def _ensure_not_already_covered(
    session: Session, contractor_id: int, now: dt.datetime, ends_at: dt.datetime
) -> None:
    current = active_rotation(session, contractor_id, now)
    if current is not None and current.ends_at >= ends_at:
        raise Conflict(
            "the contractor is already off tier 2 and 3 queues for the whole period",
            code="rotation_active",
            extra={"rotation_id": current.id, "ends_at": current.ends_at.isoformat()},
        )


def _note(session: Session, rotation: Rotation, details: str | None) -> RotationNote:
    note = RotationNote(
        rotation_id=rotation.id,
        contractor_id=rotation.contractor_id,
        details=details,
        created_by_token_id=rotation.created_by_token_id,
    )
    session.add(note)
    session.flush()
    return note


def request_rotation(
    session: Session, contractor_id: int, days: int, reason: str | None, now: dt.datetime
) -> RotationNote:
    """A contractor steps off tier >= 2 queues from now for ``days`` days, without penalty."""
    if not SELF_REQUEST_MIN_DAYS <= days <= SELF_REQUEST_MAX_DAYS:
        raise InvalidInput.field(
            "days", f"must be from {SELF_REQUEST_MIN_DAYS} to {SELF_REQUEST_MAX_DAYS}"
        )
    get_contractor(session, contractor_id)
    ends_at = now + dt.timedelta(days=days)
    _ensure_not_already_covered(session, contractor_id, now, ends_at)
    rotation = start_rotation(
        session,
        contractor_id=contractor_id,
        reason="self_requested",
        started_at=now,
        ends_at=ends_at,
        # No reason text here: ops read explanations; the contractor's words go to the note.
        explanation={"rule": "self_requested", "days": days},
    )
    return _note(session, rotation, reason)


def place_wellbeing_rotation(
    session: Session,
    *,
    contractor_id: int,
    now: dt.datetime,
    days: int | None = None,
    ends_at: dt.datetime | None = None,
    details: str | None = None,
) -> RotationNote:
    """A counsellor takes a contractor off tier >= 2 queues from now (``days`` or ``ends_at``).

    Ops see a rotation with reason ``wellbeing`` and its dates; ``details`` only counsellors.
    """
    if (days is None) == (ends_at is None):
        raise InvalidInput.field("days", "give either days or ends_at")
    limit = now + dt.timedelta(days=WELLBEING_ROTATION_MAX_DAYS)
    if days is not None:
        if not 1 <= days <= WELLBEING_ROTATION_MAX_DAYS:
            raise InvalidInput.field("days", f"must be from 1 to {WELLBEING_ROTATION_MAX_DAYS}")
        ends_at = now + dt.timedelta(days=days)
    elif ends_at is not None and not now < ends_at <= limit:
        raise InvalidInput.field(
            "ends_at", f"must be in the next {WELLBEING_ROTATION_MAX_DAYS} days"
        )
    assert ends_at is not None  # one of the two branches above set or checked it
    contractor = get_contractor(session, contractor_id, field="contractor_id")
    if contractor.status == "offboarded":
        raise Conflict("the contractor is offboarded", code="contractor_offboarded")
    _ensure_not_already_covered(session, contractor_id, now, ends_at)
    rotation = start_rotation(
        session,
        contractor_id=contractor_id,
        reason="wellbeing",
        started_at=now,
        ends_at=ends_at,
        explanation={"rule": "wellbeing", "placed_by": "counsellor"},
    )
    return _note(session, rotation, details)


def rotation_notes_query(
    *, contractor_id: int | None = None, active_at: dt.datetime | None = None
) -> Select[tuple[RotationNote]]:
    """Rotations placed through this workflow (``wellbeing``, ``self_requested``), each with its
    private note, newest first."""
    stmt = (
        select(RotationNote)
        .join(Rotation, Rotation.id == RotationNote.rotation_id)
        .options(selectinload(RotationNote.rotation))
    )
    if contractor_id is not None:
        stmt = stmt.where(RotationNote.contractor_id == contractor_id)
    if active_at is not None:
        stmt = stmt.where(
            Rotation.status == "active",
            Rotation.started_at <= active_at,
            Rotation.ends_at > active_at,
        )
    return stmt.order_by(Rotation.started_at.desc(), Rotation.id.desc())
