"""Exposure policies: versioned limits on disturbing content, every number with its source.

A policy is never edited: a change is a new version that takes effect at its
``effective_from``; every older version stays readable, because rotations and reports cite
the version they applied. The policy in force at an instant is the one with the latest
``effective_from`` at or before it (the higher version wins a tie, so a scheduled version can
be superseded by posting another with the same ``effective_from``).

How the tier limits nest (one rule, used by eligibility, the exposure view and rotations):
**the limits of tier t count exposure at tier t and above.** Tier 1's daily cap bounds all
disturbing content in a day, tier 2's bounds high plus egregious, tier 3's egregious alone.
So work on a tier-T queue must respect the limits of every tier 1..T.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workforce import audit, db
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.exposure.models import ExposurePolicy
from workforce.harm import MODALITIES

#: Tiers a policy sets limits for (tier 0 carries no disturbing content).
POLICY_TIERS = (1, 2, 3)
#: The default policy applies to all history: it is in force from this instant.
DEFAULT_EFFECTIVE_FROM = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: A new version may not take effect in the past (a little clock skew is forgiven).
BACKDATE_SLACK = dt.timedelta(minutes=1)

#: Per-tier limits: name -> (smallest, largest) allowed value; ``None`` means "no limit".
TIER_LIMITS: dict[str, tuple[int, int]] = {
    "daily_cap_minutes": (1, 1440),
    "continuous_limit_minutes": (1, 1440),
    "break_minutes": (1, 1440),
    "weekly_cap_minutes": (1, 7 * 1440),
    "max_consecutive_days": (1, 366),
    "cooldown_hours": (1, 24 * 366),
}
PLANNED_ROTATION_LIMITS: dict[str, tuple[int, int]] = {
    "work_tier": (1, 3),
    "after_consecutive_weeks": (1, 52),
    "weeks_off": (1, 52),
    "off_from_tier": (1, 3),
}
CHECKIN_LIMITS: dict[str, tuple[int, int]] = {
    "interval_days": (1, 366),
    "from_tier": (1, 3),
}

_PUBLISHED_2018 = (
    "4 h a day on disturbing content: the cap one large platform published for its "
    "reviewers in 2018 (docs/architecture.md)"
)
_HOUSE = "Workforce default policy (docs/architecture.md); an operator's choice, no published study"


#: The smallest and largest weight of a modality (reports only: docs/exposure.md).
WEIGHT_RANGE = (0.0, 10.0)
#: Why every modality weighs 1.0 by default (docs/exposure.md, "Modality and mitigations").
_EVIDENCE_DISAGREES = (
    "1.0: a minute of {} counts in full. Studies disagree on whether mitigations reduce "
    "harm: Das, Dang and Lease (HCOMP 2020) found interactive blurring helped; Lewitzka et "
    "al. (Psychological Research 2026) found blur and greyscale did not reduce negative effects"
)


def _n(value: int | None, note: str = _HOUSE) -> dict[str, Any]:
    return {"value": value, "note": note}


#: Every modality at 1.0, each with its note: what a policy without weights records.
DEFAULT_MODALITY_WEIGHTS: dict[str, dict[str, Any]] = {
    modality: {"value": 1.0, "note": _EVIDENCE_DISAGREES.format(modality)}
    for modality in MODALITIES
}


#: The default policy, version 1 (docs/architecture.md, "Default exposure policy"). Stored
#: rows hold the same: migration 0103 seeds it, and 0164 re-points older databases' citation.
DEFAULT_POLICY: dict[str, Any] = {
    "name": "Default exposure policy (docs/architecture.md)",
    "tiers": [
        {
            "tier": 3,
            "daily_cap_minutes": _n(240, _PUBLISHED_2018),
            "continuous_limit_minutes": _n(60),
            "break_minutes": _n(15),
            "weekly_cap_minutes": _n(960, _HOUSE + "; 4 days at the daily cap"),
            "max_consecutive_days": _n(4),
            "cooldown_hours": _n(48),
        },
        {
            "tier": 2,
            "daily_cap_minutes": _n(360),
            "continuous_limit_minutes": _n(90),
            "break_minutes": _n(15),
            "weekly_cap_minutes": _n(1440, _HOUSE + "; 4 days at the daily cap"),
            "max_consecutive_days": _n(5),
            "cooldown_hours": _n(24),
        },
        {
            "tier": 1,
            "daily_cap_minutes": _n(480, _HOUSE + "; a full 8-hour working day"),
            "continuous_limit_minutes": _n(120),
            "break_minutes": _n(10),
            "weekly_cap_minutes": _n(None, "no rolling cap for low-tier content"),
            "max_consecutive_days": _n(None, "no consecutive-day limit for low-tier content"),
            "cooldown_hours": _n(None, "no cooldown for low-tier content"),
        },
    ],
    "planned_rotation": {
        "work_tier": _n(3, _HOUSE + "; weeks with tier-3 work count"),
        "after_consecutive_weeks": _n(4),
        "weeks_off": _n(1),
        "off_from_tier": _n(2, _HOUSE + "; the week off is off tiers 2 and 3"),
    },
    "checkin": {
        "interval_days": _n(14),
        "from_tier": _n(2, _HOUSE + "; offered to anyone on tier 2 or 3"),
    },
    "modality_weights": DEFAULT_MODALITY_WEIGHTS,
}


@dataclass(frozen=True, slots=True)
class TierRules:
    """One tier's limits in plain numbers (``None``: no limit)."""

    tier: int
    daily_cap_minutes: int | None
    continuous_limit_minutes: int | None
    break_minutes: int | None
    weekly_cap_minutes: int | None
    max_consecutive_days: int | None
    cooldown_hours: int | None


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy version read for rules: ``tier(t)`` gives tier t's limits."""

    id: int
    version: int
    effective_from: dt.datetime
    tiers: Mapping[int, TierRules]
    planned_rotation: Mapping[str, int | None]
    checkin: Mapping[str, int | None]
    #: modality -> weight of its minutes in the reports' weighted minutes (an event of
    #: unknown modality weighs 1.0)
    modality_weights: Mapping[str, float]

    def tier(self, tier: int) -> TierRules:
        return self.tiers[tier]

    def break_seconds(self, tier: int) -> int:
        """The gap that ends a run of continuous exposure at ``tier`` and above."""
        minutes = self.tiers[tier].break_minutes
        return 60 * (minutes or 0)

    @property
    def history_days(self) -> int:
        """Local days of roll-ups the limits look at: 7 for the rolling cap, or more when
        a consecutive-day limit is longer."""
        longest = max((r.max_consecutive_days or 0) for r in self.tiers.values())
        return max(7, longest + 1)

    @classmethod
    def from_row(cls, row: ExposurePolicy) -> Policy:
        tiers = {}
        for entry in row.tiers:
            values = {name: (entry.get(name) or {}).get("value") for name in TIER_LIMITS}
            tiers[int(entry["tier"])] = TierRules(tier=int(entry["tier"]), **values)
        return cls(
            id=row.id,
            version=row.version,
            effective_from=row.effective_from,
            tiers=tiers,
            planned_rotation={k: v.get("value") for k, v in row.planned_rotation.items()},
            checkin={k: v.get("value") for k, v in row.checkin.items()},
            modality_weights={
                k: float(v.get("value", 1.0)) for k, v in (row.modality_weights or {}).items()
            },
        )


# --- validation -------------------------------------------------------------------------


def _check_numbers(
    section: Mapping[str, Any],
    limits: Mapping[str, tuple[int, int]],
    prefix: str,
    *,
    nullable: bool,
) -> dict[str, dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    out: dict[str, dict[str, Any]] = {}
    for name, (low, high) in limits.items():
        field = f"{prefix}.{name}"
        item = section.get(name)
        if not isinstance(item, Mapping):
            errors[field] = ['required: {"value": number or null, "note": "..."}']
            continue
        value, note = item.get("value"), item.get("note")
        if value is None and not nullable:
            errors[f"{field}.value"] = ["required"]
        elif value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
        ):
            errors[f"{field}.value"] = [f"must be an integer from {low} to {high}, or null"]
        if not isinstance(note, str) or not note.strip() or len(note) > 300 or "\n" in note:
            errors[f"{field}.note"] = ["a one-line note of where the number comes from"]
        out[name] = {"value": value, "note": note.strip() if isinstance(note, str) else note}
    if errors:
        raise InvalidInput(errors)
    return out


def validate_policy(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a policy body (shape already checked by the API schema) and normalise it."""
    tiers = data.get("tiers") or []
    seen = [entry.get("tier") for entry in tiers]
    if sorted(t for t in seen if isinstance(t, int)) != list(POLICY_TIERS) or len(seen) != 3:
        raise InvalidInput.field("tiers", "give each of tiers 1, 2 and 3 exactly once")
    normalised = []
    for index, entry in enumerate(tiers):
        rules = _check_numbers(entry, TIER_LIMITS, f"tiers.{index}", nullable=True)
        if (rules["continuous_limit_minutes"]["value"] is None) != (
            rules["break_minutes"]["value"] is None
        ):
            raise InvalidInput.field(
                f"tiers.{index}.break_minutes", "a continuous limit needs a break, and only then"
            )
        normalised.append({"tier": entry["tier"], **rules})
    normalised.sort(key=lambda entry: -entry["tier"])
    planned = _check_numbers(
        data.get("planned_rotation") or {},
        PLANNED_ROTATION_LIMITS,
        "planned_rotation",
        nullable=False,
    )
    checkin = _check_numbers(data.get("checkin") or {}, CHECKIN_LIMITS, "checkin", nullable=False)
    return {
        "name": data.get("name") or "Exposure policy",
        "tiers": normalised,
        "planned_rotation": planned,
        "checkin": checkin,
        "modality_weights": _check_weights(data.get("modality_weights")),
    }


def _check_weights(section: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each modality's weight and note; a modality not given keeps the default (1.0)."""
    if section is None:
        return {m: dict(DEFAULT_MODALITY_WEIGHTS[m]) for m in MODALITIES}
    errors: dict[str, list[str]] = {}
    out: dict[str, dict[str, Any]] = {}
    for name in section:
        if name not in MODALITIES:
            errors[f"modality_weights.{str(name)[:40]}"] = [
                f"unknown modality: one of {', '.join(MODALITIES)}"
            ]
    low, high = WEIGHT_RANGE
    for modality in MODALITIES:
        item = section.get(modality)
        field = f"modality_weights.{modality}"
        if item is None:
            out[modality] = dict(DEFAULT_MODALITY_WEIGHTS[modality])
            continue
        if not isinstance(item, Mapping):
            errors[field] = ['{"value": number, "note": "..."}']
            continue
        value, note = item.get("value"), item.get("note")
        number = (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else math.nan
        )
        if not low <= number <= high:  # NaN is never in range
            errors[f"{field}.value"] = [f"must be a number from {low:g} to {high:g}"]
        if not isinstance(note, str) or not note.strip() or len(note) > 300 or "\n" in note:
            errors[f"{field}.note"] = ["a one-line note of where the number comes from"]
        elif not errors:
            out[modality] = {"value": number, "note": note.strip()}
    if errors:
        raise InvalidInput(errors)
    return out


# --- service ----------------------------------------------------------------------------


def ensure_default(session: Session) -> None:
    """Create version 1 (the default of docs/architecture.md) if there is no policy at all.

    Migration 0103 seeds it; this covers a database whose rows were removed (tests). Two
    callers racing here both succeed: the second insert does nothing.
    """
    if session.scalar(select(ExposurePolicy.id).limit(1)) is not None:
        return
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    values = {
        "version": 1,
        "effective_from": DEFAULT_EFFECTIVE_FROM,
        "created_at": utcnow(),
        **DEFAULT_POLICY,
    }
    session.execute(
        module.insert(ExposurePolicy)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["version"])
    )


def policy_row_at(session: Session, at: dt.datetime) -> ExposurePolicy:
    """The policy row in force at ``at`` (the earliest one for an instant before them all)."""
    stmt = select(ExposurePolicy)
    row = session.scalar(
        stmt.where(ExposurePolicy.effective_from <= at)
        .order_by(ExposurePolicy.effective_from.desc(), ExposurePolicy.version.desc())
        .limit(1)
    )
    if row is None:
        ensure_default(session)
        row = session.scalar(
            stmt.where(ExposurePolicy.effective_from <= at)
            .order_by(ExposurePolicy.effective_from.desc(), ExposurePolicy.version.desc())
            .limit(1)
        ) or session.scalar(stmt.order_by(ExposurePolicy.effective_from, ExposurePolicy.version))
    assert row is not None  # ensure_default made one
    return row


#: Parsed versions per database, keyed by its newest version: policies are never edited,
#: so a new newest version (or rows removed, as tests do) is the only way this goes stale.
_VERSIONS: dict[tuple[Any, ...], list[tuple[dt.datetime, int, Policy]]] = {}


#: The newest version and when it was created: the key of the parsed versions' cache.
NEWEST_VERSION_SQL = (
    "SELECT version, created_at FROM exposure_policies ORDER BY version DESC LIMIT 1"
)


def current_policy(
    session: Session, at: dt.datetime, newest: tuple[Any, Any] | None = None
) -> Policy:
    """The rules in force at ``at``; creates the default policy if there is none.

    Eligibility asks this on every check, so it costs one index-only query
    (:data:`NEWEST_VERSION_SQL`, or none when the caller read it already as ``newest``):
    the parsed versions are cached until a newer version appears.
    """
    if newest is None:
        found = db.driver_rows(session, NEWEST_VERSION_SQL)
        if not found:
            ensure_default(session)
            return current_policy(session, at)
        newest = (found[0].version, found[0].created_at)
    key = (str(session.connection().engine.url), *newest)
    versions = _VERSIONS.get(key)
    if versions is None:
        rows = session.scalars(
            select(ExposurePolicy).order_by(ExposurePolicy.effective_from, ExposurePolicy.version)
        )
        versions = [(row.effective_from, row.version, Policy.from_row(row)) for row in rows]
        if len(_VERSIONS) > 16:
            _VERSIONS.clear()
        _VERSIONS[key] = versions
    chosen = versions[0][2]  # an instant before every version gets the earliest
    for effective_from, _version, policy in versions:
        if effective_from > at:
            break
        chosen = policy
    return chosen


def get_policy_version(session: Session, version: int) -> ExposurePolicy:
    ensure_default(session)
    row = session.scalar(select(ExposurePolicy).where(ExposurePolicy.version == version))
    if row is None:
        raise NotFound(f"exposure policy version {version} does not exist")
    return row


def policies_query() -> Any:
    return select(ExposurePolicy).order_by(ExposurePolicy.version)


def create_policy(
    session: Session,
    data: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
    created_by: int | None = None,
) -> ExposurePolicy:
    """A new version, in force from ``effective_from`` (default: now)."""
    now = now or utcnow()
    values = validate_policy(data)
    effective_from = data.get("effective_from") or now
    if effective_from < now - BACKDATE_SLACK:
        raise InvalidInput.field(
            "effective_from",
            "a new version cannot take effect in the past: history keeps "
            "the limits that applied then",
        )
    ensure_default(session)
    latest = session.scalar(select(ExposurePolicy).order_by(ExposurePolicy.version.desc()).limit(1))
    assert latest is not None
    if effective_from < latest.effective_from:
        raise Conflict(
            f"version {latest.version} takes effect at {latest.effective_from.isoformat()}; a "
            "newer version cannot take effect before it (use the same instant to supersede it)",
            code="policy_out_of_order",
        )
    row = ExposurePolicy(
        version=latest.version + 1,
        effective_from=effective_from,
        created_at=now,
        created_by_token_id=created_by,
        **values,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "exposure_policy.create",
        "exposure_policy",
        row.id,
        {"version": row.version, "effective_from": effective_from.isoformat()},
    )
    return row
