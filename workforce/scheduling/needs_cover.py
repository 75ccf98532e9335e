"""Taking a scheduled shift from its contractor and flagging it ``needs_cover``.

One way for every cause (a rotation, approved time off): the shift is cancelled for its
holder, marked ``needs_cover`` for ops to fill, audited, and both the contractor and ops are
told. Runs in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workforce import audit
from workforce.notifications.services import notify_once
from workforce.shifts.models import Shift

__all__ = ["release_for_cover"]


def release_for_cover(
    session: Session,
    shift: Shift,
    *,
    cause: str,
    action: str,
    summary: dict[str, Any],
    dedupe_prefix: str,
) -> None:
    """Cancel ``shift`` with ``cancel_reason`` ``cause`` and flag it ``needs_cover``.

    ``action`` is the audit action (``shift.rotation_cancelled``), ``summary`` the audit
    summary and the notices' payload (plus ``needs_cover``); each audience's notice has the
    dedupe key ``{dedupe_prefix}:shift:{id}:cancelled:{audience}``.
    """
    assert shift.contractor_id is not None  # only a held shift can be released
    shift.status = "cancelled"
    shift.needs_cover = True
    shift.cancel_reason = cause
    shift.sequence += 1
    session.flush()
    audit.record(session, action, "shift", shift.id, summary)
    for audience in ("contractor", "ops"):
        notify_once(
            session,
            kind="shift.cancelled",
            audience=audience,
            dedupe_key=f"{dedupe_prefix}:shift:{shift.id}:cancelled:{audience}",
            payload={**summary, "needs_cover": True},
            contractor_id=shift.contractor_id,
        )
