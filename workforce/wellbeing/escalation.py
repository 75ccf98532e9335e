"""Urgent referrals escalate until a counsellor acknowledges them.

A PHQ-9 item-9 answer above zero opens an urgent referral; its ``referral.opened``
notification is sent at once (not at the next delivery tick, see
``notifications.services.notify_once(at_once=True)``). If no counsellor acknowledges it
within ``URGENT_ACK_MINUTES`` it goes to ``ESCALATION_EMAILS``, and again every
``URGENT_REPEAT_MINUTES`` until acknowledged. The job derives every step from the
referral's age, so a missed or repeated run sends each step once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.errors import Conflict
from workforce.notifications.services import notify_once
from workforce.wellbeing import access_log
from workforce.wellbeing.models import Referral
from workforce.wellbeing.support import get_referral

ESCALATED_KIND = "referral.escalated"


def acknowledge(session: Session, referral_id: int, now: dt.datetime) -> Referral:
    """A counsellor takes the referral on; the first acknowledgement stands."""
    referral = get_referral(session, referral_id)
    if referral.acknowledged_at is not None:
        return referral
    if referral.status == "closed":
        raise Conflict("the referral is closed", code="referral_closed")
    referral.acknowledged_at = now
    referral.acknowledged_by_token_id = audit.current_actor().token_id
    session.flush()
    # Like a follow-up: whose only in the counsellors' access log.
    access_log.record_action(session, referral.contractor_id, "acknowledge", referral.id)
    return referral


def escalation_step(
    opened_at: dt.datetime, now: dt.datetime, ack: dt.timedelta, repeat: dt.timedelta
) -> int | None:
    """Which escalation is due at ``now``: 0 at ``ack`` after opening, 1 one ``repeat``
    later, and so on; None before the first."""
    waited = now - opened_at - ack
    if waited < dt.timedelta(0):
        return None
    return waited // repeat  # exact: timedelta floor division, no float rounding


def escalate_urgent_referrals(
    session: Session, now: dt.datetime, *, ack_minutes: float, repeat_minutes: float
) -> dict[str, int]:
    """Notify the escalation contacts of each open, unacknowledged urgent referral due."""
    ack, repeat = dt.timedelta(minutes=ack_minutes), dt.timedelta(minutes=repeat_minutes)
    waiting = session.scalars(
        select(Referral).where(
            Referral.urgent.is_(True),
            Referral.status == "open",
            Referral.acknowledged_at.is_(None),
            Referral.created_at <= now - ack,
        )
    ).all()
    for referral in waiting:
        step = escalation_step(referral.created_at, now, ack, repeat)
        if step is None:
            continue
        notify_once(
            session,
            kind=ESCALATED_KIND,
            audience="wellbeing",
            dedupe_key=f"referral:{referral.id}:escalation:{step}",
            payload={
                "referral_id": referral.id,
                "urgent": True,
                "escalation": step + 1,
                "unacknowledged_minutes": int((now - referral.created_at).total_seconds() // 60),
            },
            contractor_id=referral.contractor_id,
            created_at=now,
            at_once=True,
        )
    # No counts: job effects are shown to admin and ops (/scheduler/status) and logged, and
    # "1 escalated" would tell them that someone answered PHQ-9 item 9 just now.
    return {}
