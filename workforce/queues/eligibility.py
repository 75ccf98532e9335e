"""May this contractor take work from this queue at this instant? One answer, used by the
API, the shift rules and the rotation engine, with every reason that applies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.contractors.models import Contractor, Credential
from workforce.harm import ROTATED_TIER, SENSITIVE_TIER
from workforce.queues.models import Queue
from workforce.timeutil import load_zone, local_date
from workforce.wellbeing.limits import standing
from workforce.wellbeing.rotation import active_rotation


@dataclass
class Eligibility:
    contractor_id: int
    queue: str
    at: dt.datetime
    eligible: bool = True
    #: ``inactive``, ``queue_inactive``, ``missing_credential:RN``, ``credential_expired:RN``,
    #: ``missing_language:sw``, ``no_consent``, ``opted_out:self_harm``, ``rotation_active``,
    #: ``daily_limit``, ``weekly_limit``, ``consecutive_days``, ``break_due``.
    reasons: list[str] = field(default_factory=list)
    remaining_minutes_today: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def deny(self, reason: str) -> None:
        self.eligible = False
        self.reasons.append(reason)


def _credential_reasons(
    credentials: list[Credential], required: list[dict[str, str]], today: dt.date
) -> list[str]:
    reasons = []
    for need in required:
        held = [c for c in credentials if (c.kind, c.code) == (need["kind"], need["code"])]
        states = {c.status_on(today) for c in held}
        if "verified" in states:
            continue
        noun = "language" if need["kind"] == "language" else "credential"
        state = f"{noun}_expired" if "expired" in states else f"missing_{noun}"
        reasons.append(f"{state}:{need['code']}")
    return reasons


def check(session: Session, contractor: Contractor, queue: Queue, at: dt.datetime) -> Eligibility:
    """Every reason that keeps ``contractor`` off ``queue`` at ``at`` (none: eligible)."""
    result = Eligibility(contractor.id, queue.slug, at)
    if contractor.status != "active":
        result.deny("inactive")
    if not queue.active:
        result.deny("queue_inactive")
    today = local_date(at, load_zone(contractor.timezone))
    required = list(queue.required_credentials)
    if queue.language:
        required.append({"kind": "language", "code": queue.language})
    if required:
        credentials = list(
            session.scalars(select(Credential).where(Credential.contractor_id == contractor.id))
        )
        for reason in _credential_reasons(credentials, required, today):
            result.deny(reason)
    if queue.tier >= SENSITIVE_TIER:
        if contractor.sensitive_consent_at is None or contractor.sensitive_consent_at > at:
            result.deny("no_consent")
        for category in queue.categories:
            if category in contractor.opt_outs:
                result.deny(f"opted_out:{category}")
    if queue.tier >= ROTATED_TIER:
        rotation = active_rotation(session, contractor.id, at)
        if rotation is not None:
            result.deny("rotation_active")
            result.details["rotation"] = {"id": rotation.id, "ends_at": rotation.ends_at}
    if queue.tier >= SENSITIVE_TIER:
        _exposure_reasons(session, contractor, queue.tier, at, result)
    return result


def _exposure_reasons(
    session: Session, contractor: Contractor, tier: int, at: dt.datetime, result: Eligibility
) -> None:
    """Limits of the exposure policy, from roll-ups: work on a tier-T queue must respect the
    limits of every tier 1..T, each counting exposure at its tier and above."""
    now = standing(session, contractor, at)
    applicable = now.applicable(tier)
    remaining = now.remaining_seconds_today(tier)
    result.remaining_minutes_today = None if remaining is None else remaining // 60
    if any(s.daily_limit_reached for s in applicable):
        result.deny("daily_limit")
    if any(s.weekly_limit_reached for s in applicable):
        result.deny("weekly_limit")
    if any(s.consecutive_limit_reached for s in applicable):
        result.deny("consecutive_days")
    break_until = now.break_until(tier)
    if break_until is not None:
        result.deny("break_due")
    result.details["exposure"] = {
        "policy_version": now.policy.version,
        "local_day": now.today.isoformat(),
        "break_until": None if break_until is None else break_until.isoformat(),
        "tiers": [
            {
                "tier": s.tier,
                "today_minutes": s.today_seconds // 60,
                "daily_cap_minutes": s.daily_cap_minutes,
                "rolling_7_day_minutes": s.rolling_7_day_seconds // 60,
                "weekly_cap_minutes": s.weekly_cap_minutes,
                "consecutive_days": s.consecutive_days,
                "max_consecutive_days": s.max_consecutive_days,
            }
            for s in applicable
        ],
    }
