"""May this contractor take work from this queue at this instant? One answer, used by the
API, the shift rules and the rotation engine, with every reason that applies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.models import ContractorFacts
from workforce.contractors.services import missing_contractor
from workforce.exposure.models import RUN_COLUMNS
from workforce.exposure.policy import NEWEST_VERSION_SQL, current_policy
from workforce.exposure.standing import standing, tier_standing
from workforce.harm import ROTATED_TIER, SENSITIVE_TIER
from workforce.queues.requirements import credential_reasons, required_credentials
from workforce.queues.services import missing_queue
from workforce.rotations.services import ACTIVE_ROTATION_SQL, active_rotation_end
from workforce.timeutil import load_zone, local_date


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


class QueueFacts(Protocol):
    """What eligibility reads of a queue: a ``Queue`` or a :func:`check_by_slug` row."""

    @property
    def slug(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def tier(self) -> int: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def required_credentials(self) -> list[dict[str, Any]]: ...
    @property
    def language(self) -> str | None: ...


class _ContractorRow(NamedTuple):
    id: int
    status: str
    timezone: str
    sensitive_consent_at: dt.datetime | None
    opt_outs: list[str]


class _QueueRow(NamedTuple):
    slug: str
    active: bool
    tier: int
    categories: list[str]
    required_credentials: list[dict[str, Any]]
    language: str | None


#: One round trip for what every platform check needs besides the roll-ups: contractor,
#: queue, active rotation, newest policy version and runs row (NULLs where missing).
_FACTS_SQL = (
    "SELECT c.id AS contractor_id, c.status, c.timezone, c.sensitive_consent_at, c.opt_outs, "
    "q.slug, q.active, q.tier, q.categories, q.required_credentials, q.language, "
    "rot.id AS rotation_id, rot.ends_at AS rotation_ends_at, "
    "pol.version AS policy_version, pol.created_at AS policy_created_at, "
    "r.contractor_id AS runs_of, "
    + ", ".join(f"r.{name}" for name in RUN_COLUMNS)
    + " FROM (SELECT 1 AS one) k "
    "LEFT JOIN contractors c ON c.id = :contractor_id "
    "LEFT JOIN queues q ON q.slug = :slug "
    f"LEFT JOIN ({ACTIVE_ROTATION_SQL}) rot ON 1 = 1 "
    f"LEFT JOIN ({NEWEST_VERSION_SQL}) pol ON 1 = 1 "
    "LEFT JOIN exposure_runs r ON r.contractor_id = :contractor_id"
)


class _Prefetched(NamedTuple):
    """What :data:`_FACTS_SQL` read beyond the contractor and queue."""

    rotation: tuple[int, dt.datetime] | None
    newest_policy: tuple[Any, Any] | None
    #: The runs row's columns by name (:data:`RUN_COLUMNS`), None without a row.
    run_row: Any


def check_by_slug(session: Session, contractor_id: int, slug: str, at: dt.datetime) -> Eligibility:
    """:func:`check` for a contractor id and a queue slug, as platforms ask it for every
    item they hand out: contractor, queue, rotation, policy version and runs in one plain
    SQL statement (:data:`_FACTS_SQL`) rather than five, or ORM loads.
    An unknown contractor is a 404, an unknown queue a 422 naming ``queue``."""
    row = db.driver_rows(session, _FACTS_SQL, contractor_id=contractor_id, slug=slug, at=at)[0]
    if row.contractor_id is None:
        raise missing_contractor(contractor_id)
    if row.slug is None:
        raise missing_queue(slug)
    consent = row.sensitive_consent_at
    contractor = _ContractorRow(
        row.contractor_id,
        row.status,
        row.timezone,
        None if consent is None else db.instant_value(consent),
        db.json_value(row.opt_outs) or [],
    )
    queue = _QueueRow(
        row.slug,
        bool(row.active),
        row.tier,
        db.json_value(row.categories) or [],
        db.json_value(row.required_credentials) or [],
        row.language,
    )
    rotation = None
    if row.rotation_id is not None:
        rotation = (row.rotation_id, db.instant_value(row.rotation_ends_at))
    newest_policy = None
    if row.policy_version is not None:
        newest_policy = (row.policy_version, row.policy_created_at)
    prefetched = _Prefetched(rotation, newest_policy, None if row.runs_of is None else row)
    return check(session, contractor, queue, at, prefetched)


def check(
    session: Session,
    contractor: ContractorFacts,
    queue: QueueFacts,
    at: dt.datetime,
    prefetched: _Prefetched | None = None,
) -> Eligibility:
    """Every reason that keeps ``contractor`` off ``queue`` at ``at`` (none: eligible);
    ``prefetched`` by :func:`check_by_slug`, else read here."""
    result = Eligibility(contractor.id, queue.slug, at)
    if contractor.status != "active":
        result.deny("inactive")
    if not queue.active:
        result.deny("queue_inactive")
    today = local_date(at, load_zone(contractor.timezone))
    required = required_credentials(queue.required_credentials, queue.language)
    if required:
        for reason in credential_reasons(session, contractor.id, required, today):
            result.deny(reason)
    if queue.tier >= SENSITIVE_TIER:
        if contractor.sensitive_consent_at is None or contractor.sensitive_consent_at > at:
            result.deny("no_consent")
        for category in queue.categories:
            if category in contractor.opt_outs:
                result.deny(f"opted_out:{category}")
    if queue.tier >= ROTATED_TIER:
        rotation = (
            prefetched.rotation
            if prefetched is not None
            else active_rotation_end(session, contractor.id, at)
        )
        if rotation is not None:
            result.deny("rotation_active")
            result.details["rotation"] = {"id": rotation[0], "ends_at": rotation[1]}
    if queue.tier >= SENSITIVE_TIER:
        _exposure_reasons(session, contractor, queue.tier, at, result, prefetched)
    return result


def _exposure_reasons(
    session: Session,
    contractor: ContractorFacts,
    tier: int,
    at: dt.datetime,
    result: Eligibility,
    prefetched: _Prefetched | None,
) -> None:
    """Limits of the exposure policy, from roll-ups: work on a tier-T queue must respect the
    limits of every tier 1..T, each counting exposure at its tier and above."""
    if prefetched is None:
        now = standing(session, contractor, at)
    else:
        policy = current_policy(session, at, prefetched.newest_policy)
        now = standing(session, contractor, at, policy, prefetched.run_row)
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
        "tiers": [tier_standing(now, s.tier) for s in applicable],
    }
