"""Rotation state that other rules read (eligibility, shift planning), and starting one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workforce import audit, db
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.notifications.services import notify_once
from workforce.rotations.models import ROTATION_REASONS, Rotation
from workforce.signals import react, rotation_started

#: Parameters: ``contractor_id``, ``at`` (an aware datetime, for :func:`workforce.db.driver_rows`).
ACTIVE_ROTATION_SQL = (
    "SELECT id, ends_at FROM rotations WHERE contractor_id = :contractor_id "
    "AND status = 'active' AND started_at <= :at AND ends_at > :at "
    "ORDER BY ends_at DESC LIMIT 1"
)


def active_rotation_end(
    session: Session, contractor_id: int, at: dt.datetime
) -> tuple[int, dt.datetime] | None:
    """Id and end of the rotation keeping the contractor off tier >= 2 work at ``at``, if
    any. Plain SQL (index ``ix_rotations_contractor_window``): every eligibility check
    asks this."""
    found = db.driver_rows(
        session,
        ACTIVE_ROTATION_SQL,
        contractor_id=contractor_id,
        at=at,
    )
    if not found:
        return None
    return found[0].id, db.instant_value(found[0].ends_at)


def active_rotation(session: Session, contractor_id: int, at: dt.datetime) -> Rotation | None:
    """The rotation keeping the contractor off tier >= 2 work at ``at``, if any."""
    found = active_rotation_end(session, contractor_id, at)
    return None if found is None else session.get(Rotation, found[0])


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

    The contractor's scheduled shifts on tier >= 2 queues that start inside the window move
    in the same transaction (:data:`workforce.signals.rotation_started`): to the queue's
    fallback when the contractor is eligible there, else cancelled and flagged
    ``needs_cover`` for ops.
    """
    rotation = _new_rotation(contractor_id, reason, started_at, ends_at, explanation, breach_at)
    session.add(rotation)
    session.flush()
    _announce(session, rotation)
    return rotation


def start_rotation_once(
    session: Session,
    *,
    contractor_id: int,
    reason: str,
    started_at: dt.datetime,
    ends_at: dt.datetime,
    explanation: dict[str, Any],
    breach_at: dt.datetime | None = None,
) -> Rotation | None:
    """:func:`start_rotation` for an automated rotation whose ``explanation["breach_key"]``
    names the breach; None when the contractor already has a rotation with that key.

    The insert skips on the unique index ``(contractor_id, breach_key)``
    (``ON CONFLICT DO NOTHING``): a sweep racing another one that inserted the same breach
    first (PostgreSQL waits for that transaction, then skips) adds no rotation, audit row
    or notice.
    """
    rotation = _new_rotation(contractor_id, reason, started_at, ends_at, explanation, breach_at)
    values = {
        column.key: getattr(rotation, column.key)
        for column in Rotation.__table__.columns
        if column.key != "id" and getattr(rotation, column.key) is not None
    }
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    new_id = session.scalar(
        insert(Rotation)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=["contractor_id", "breach_key"],
            index_where=Rotation.breach_key.isnot(None),
        )
        .returning(Rotation.id)
    )
    if new_id is None:
        return None
    stored = session.get(Rotation, new_id)
    assert stored is not None
    _announce(session, stored)
    return stored


def _new_rotation(
    contractor_id: int,
    reason: str,
    started_at: dt.datetime,
    ends_at: dt.datetime,
    explanation: dict[str, Any],
    breach_at: dt.datetime | None,
) -> Rotation:
    if reason not in ROTATION_REASONS:
        raise ValueError(f"unknown rotation reason {reason!r}")
    if ends_at <= started_at:
        raise InvalidInput.field("ends_at", "must be after the start of the rotation")
    return Rotation(
        contractor_id=contractor_id,
        reason=reason,
        status="active",
        started_at=started_at,
        ends_at=ends_at,
        explanation=explanation,
        breach_key=explanation.get("breach_key"),
        breach_at=breach_at,
        created_by_token_id=audit.current_actor().token_id,
        shifts_reassigned=0,
        shifts_cancelled=0,
        created_at=utcnow(),
    )


def _record(
    session: Session,
    rotation: Rotation,
    action: str,
    summary: dict[str, Any],
    notice: str,
    payload: dict[str, Any],
    audience: str = "contractor",
) -> None:
    """The audit row ``action`` and the notice ``rotation.<notice>`` (once per rotation) of
    one step in a rotation's life."""
    audit.record(
        session,
        action,
        "rotation",
        rotation.id,
        {"contractor_id": rotation.contractor_id, **summary},
    )
    notify_once(
        session,
        kind=f"rotation.{notice}",
        audience=audience,
        dedupe_key=f"rotation:{rotation.id}:{notice}",
        payload={"rotation_id": rotation.id, **payload},
        contractor_id=rotation.contractor_id,
    )


def _announce(session: Session, rotation: Rotation) -> None:
    """The audit row, the contractor's notice and the moved shifts of a new rotation."""
    facts = {
        "reason": rotation.reason,
        "started_at": rotation.started_at.isoformat(),
        "ends_at": rotation.ends_at.isoformat(),
    }
    _record(session, rotation, "rotation.start", facts, "started", facts)
    react(rotation_started, session, rotation=rotation)


# --- the rotations API's services -----------------------------------------------------

#: A manual rotation lasts this long unless ops give ``ends_at``.
MANUAL_DEFAULT = dt.timedelta(hours=24)
#: Reasons a contractor may ask a human to review (automated decisions).
REVIEWABLE = ("daily_limit", "weekly_limit", "consecutive_days", "planned", "credential_expired")


def get_rotation(session: Session, rotation_id: int) -> Rotation:
    rotation = session.get(Rotation, rotation_id)
    if rotation is None:
        raise NotFound(f"rotation {rotation_id} does not exist")
    return rotation


def rotations_query(
    *,
    contractor_id: int | None = None,
    reason: str | None = None,
    status: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Select[tuple[Rotation]]:
    """Newest first; ``start``/``end``: rotations overlapping that span."""
    stmt = select(Rotation).order_by(Rotation.started_at.desc(), Rotation.id.desc())
    if contractor_id is not None:
        stmt = stmt.where(Rotation.contractor_id == contractor_id)
    if reason is not None:
        stmt = stmt.where(Rotation.reason == reason)
    if status is not None:
        stmt = stmt.where(Rotation.status == status)
    if start is not None:
        stmt = stmt.where(Rotation.ends_at > start)
    if end is not None:
        stmt = stmt.where(Rotation.started_at < end)
    return stmt


def manual_rotation(
    session: Session,
    *,
    contractor_id: int,
    reason: str,
    ends_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Rotation:
    """Ops take a contractor off tier >= 2 queues from now, for a stated reason."""
    now = now or utcnow()
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise InvalidInput.field("contractor_id", f"contractor {contractor_id} does not exist")
    if contractor.status == "offboarded":
        raise Conflict("an offboarded contractor cannot be rotated", code="contractor_offboarded")
    if active_rotation(session, contractor_id, now) is not None:
        raise Conflict("the contractor is already on an active rotation", code="rotation_active")
    return start_rotation(
        session,
        contractor_id=contractor_id,
        reason="manual",
        started_at=now,
        ends_at=ends_at or now + MANUAL_DEFAULT,
        explanation={"rule": "manual", "note": reason},
    )


def end_rotation(
    session: Session, rotation_id: int, reason: str, now: dt.datetime | None = None
) -> Rotation:
    """End an active rotation early; moved or cancelled shifts stay as they are."""
    now = now or utcnow()
    rotation = get_rotation(session, rotation_id)
    if rotation.status != "active" or rotation.ends_at <= now:
        raise Conflict(f"rotation {rotation_id} has already ended", code="rotation_ended")
    rotation.status = "ended"
    rotation.ended_at = now
    rotation.end_reason = reason
    if rotation.started_at > now:  # a planned one that had not begun
        rotation.ends_at = max(now, rotation.started_at) + dt.timedelta(seconds=1)
    else:
        rotation.ends_at = max(now, rotation.started_at + dt.timedelta(seconds=1))
    session.flush()
    _record(
        session,
        rotation,
        "rotation.end",
        {"reason": reason},
        "ended",
        {"ended_at": now.isoformat()},
    )
    return rotation


def request_review(
    session: Session, rotation_id: int, contractor_id: int, comment: str
) -> Rotation:
    """The contractor contests an automated rotation; ops and admin are told."""
    rotation = get_rotation(session, rotation_id)
    if rotation.contractor_id != contractor_id:
        raise NotFound(f"rotation {rotation_id} does not exist")
    if rotation.reason not in REVIEWABLE:
        raise Conflict("only automated rotations can be contested", code="rotation_not_reviewable")
    if rotation.review_status is not None:
        raise Conflict("a review was already requested", code="review_exists")
    rotation.review_status = "requested"
    rotation.review_comment = comment
    rotation.review_requested_at = utcnow()
    session.flush()
    _record(
        session,
        rotation,
        "rotation.review_request",
        {},
        "review_requested",
        {"contractor_id": contractor_id},
        audience="ops",
    )
    return rotation


def answer_review(
    session: Session, rotation_id: int, outcome: str, comment: str, now: dt.datetime | None = None
) -> Rotation:
    """A person's outcome: ``upheld`` keeps the rotation; ``overturned`` ends it now (its
    moved shifts stay moved: ops re-plan them)."""
    now = now or utcnow()
    rotation = get_rotation(session, rotation_id)
    if rotation.review_status != "requested":
        raise Conflict("no review is pending for this rotation", code="no_review_pending")
    rotation.review_status = outcome
    rotation.review_answer = comment
    rotation.reviewed_at = now
    if outcome == "overturned":
        rotation.status = "overturned"
        if rotation.ends_at > now:
            rotation.ended_at = now
            rotation.ends_at = max(now, rotation.started_at + dt.timedelta(seconds=1))
    session.flush()
    _record(
        session, rotation, "rotation.review", {"outcome": outcome}, "reviewed", {"outcome": outcome}
    )
    return rotation
