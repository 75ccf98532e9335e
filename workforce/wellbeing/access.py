"""The counsellor-only access log: every counsellor read of, and follow-up on, a
contractor's wellbeing records, with who, whose, when and which view (never the values).

The shared audit log (admin, compliance) keeps only what reveals no referral: the
follow-up's own id, never whose it is; counsellor reads are not in it at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.wellbeing.models import WellbeingAccess

ACCESS_ACTIONS = ("read", "follow_up", "acknowledge")


def record_reads(session: Session, view: str, contractor_ids: Iterable[int]) -> None:
    """Log a counsellor's read: one row per contractor on the page.

    Call inside a writer session (``db.session(write=True)``), so the row commits with the
    answer and a failed request logs nothing.
    """
    actor, now = audit.current_actor(), utcnow()
    for contractor_id in sorted(set(contractor_ids)):
        session.add(
            WellbeingAccess(
                occurred_at=now,
                contractor_id=contractor_id,
                actor_token_id=actor.token_id,
                actor_name=actor.name,
                action="read",
                view=view,
            )
        )


def record_action(
    session: Session, contractor_id: int, action: str, target_type: str, target_id: int
) -> None:
    """Log a counsellor's action on a referral (a follow-up, an acknowledgement) here with
    whose it is; the shared audit log gets only the object's own id."""
    actor = audit.current_actor()
    session.add(
        WellbeingAccess(
            occurred_at=utcnow(),
            contractor_id=contractor_id,
            actor_token_id=actor.token_id,
            actor_name=actor.name,
            action=action,
            view="referral",
            object_id=target_id,
        )
    )
    audit.record(session, f"wellbeing.{action}", target_type, target_id)


def access_log_query(
    *, contractor_id: int | None = None, action: str | None = None
) -> Select[tuple[WellbeingAccess]]:
    """The access log, newest first."""
    stmt = select(WellbeingAccess)
    if contractor_id is not None:
        stmt = stmt.where(WellbeingAccess.contractor_id == contractor_id)
    if action is not None:
        stmt = stmt.where(WellbeingAccess.action == action)
    return stmt.order_by(WellbeingAccess.id.desc())
