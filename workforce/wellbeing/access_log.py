"""The counsellor-only access log: every counsellor read of, follow-up on and
acknowledgement of a contractor's wellbeing records, with who, whose, when and which view
(never the values).

None of these is in the shared audit log (admin, compliance): a row there, even without a
contractor id, would tell them when someone had a referral.
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


def record_action(session: Session, contractor_id: int, action: str, target_id: int) -> None:
    """Log a counsellor's action on a referral (a follow-up, an acknowledgement) here, with
    whose it is. Nothing goes to the shared audit log (admin, compliance): even an id-only
    row there would say, with its time, that someone has a referral."""
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
