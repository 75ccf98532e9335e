"""Scheduling's reactions to other domains (:mod:`workforce.signals`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.eligibility.check import check
from workforce.harm import ROTATED_TIER
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.rotations.models import Rotation
from workforce.scheduling.needs_cover import release_for_cover
from workforce.shifts.models import Shift
from workforce.signals import rotation_started


@rotation_started.connect
def move_shifts_off_rotated_queues(session: Session, *, rotation: Rotation) -> None:
    move_shifts(session, rotation)


def move_shifts(session: Session, rotation: Rotation) -> tuple[int, int]:
    """Move the rotated contractor's scheduled tier >= 2 shifts starting inside the rotation:
    to the queue's fallback (same times) when eligible there, else cancel them and flag
    ``needs_cover``. Sets the rotation's counts; one audit row and notice per shift.

    Runs in the caller's transaction: a failure anywhere rolls every move back with the
    rotation itself, so nothing is ever half-moved.
    """
    contractor = session.get(Contractor, rotation.contractor_id)
    assert contractor is not None
    rows = session.execute(
        select(Shift, Queue)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            Shift.contractor_id == rotation.contractor_id,
            Shift.status == "scheduled",
            Shift.starts_at >= rotation.started_at,
            Shift.starts_at < rotation.ends_at,
            Queue.tier >= ROTATED_TIER,
        )
        .order_by(Shift.starts_at)
        .with_for_update(of=Shift)
    ).all()
    moved = cancelled = 0
    for shift, queue in rows:
        fallback = session.get(Queue, queue.fallback_queue_id) if queue.fallback_queue_id else None
        base = {
            "rotation_id": rotation.id,
            "shift_id": shift.id,
            "queue_id": queue.id,
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        }
        if fallback is not None and check(session, contractor, fallback, shift.starts_at).eligible:
            shift.queue_id = fallback.id
            shift.sequence += 1
            moved += 1
            summary = {
                "contractor_id": rotation.contractor_id,
                **base,
                "fallback_queue_id": fallback.id,
            }
            session.flush()
            audit.record(session, "shift.rotation_reassigned", "shift", shift.id, summary)
            for audience in ("contractor", "ops"):
                notify_once(
                    session,
                    kind="shift.reassigned",
                    audience=audience,
                    dedupe_key=f"rotation:{rotation.id}:shift:{shift.id}:reassigned:{audience}",
                    payload={**summary, "needs_cover": False},
                    contractor_id=rotation.contractor_id,
                )
        else:
            cancelled += 1
            release_for_cover(
                session,
                shift,
                cause=f"rotation {rotation.id} ({rotation.reason})",
                action="shift.rotation_cancelled",
                summary={"contractor_id": rotation.contractor_id, **base},
                dedupe_prefix=f"rotation:{rotation.id}",
            )
    rotation.shifts_reassigned += moved
    rotation.shifts_cancelled += cancelled
    session.flush()
    return moved, cancelled
