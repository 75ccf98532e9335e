"""Pay policy versions: which terms are in force when, and storing the next version.

The terms themselves and their defaults are :mod:`workforce.pay.terms`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.errors import InvalidInput
from workforce.pay.inputs import MAX_YEAR, MIN_YEAR
from workforce.pay.models import PayPolicy
from workforce.pay.terms import DEFAULT_TERMS, PolicyTerms


@dataclass(frozen=True)
class PolicyVersion:
    """A stored version, or version 0: the built-in defaults, until one is stored."""

    version: int
    effective_from: dt.datetime | None
    terms: PolicyTerms
    note: str | None = None
    created_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: PayPolicy) -> PolicyVersion:
        return cls(
            row.version,
            row.effective_from,
            PolicyTerms.from_json(row.terms),
            row.note,
            row.created_at,
        )


BUILT_IN_POLICY = PolicyVersion(0, None, DEFAULT_TERMS, "built-in defaults")


def policy_in_force(session: Session, at: dt.datetime) -> PolicyVersion:
    """The highest version whose ``effective_from`` is at or before ``at``."""
    row = session.scalar(
        select(PayPolicy)
        .where(PayPolicy.effective_from <= at)
        .order_by(PayPolicy.version.desc())
        .limit(1)
    )
    return PolicyVersion.of(row) if row is not None else BUILT_IN_POLICY


def create_policy(session: Session, data: Mapping[str, Any]) -> PolicyVersion:
    """A new version. Terms left out are copied from the latest version (or defaults)."""
    values = dict(data)
    effective_from = values.pop("effective_from", None) or utcnow()
    if not MIN_YEAR <= effective_from.year <= MAX_YEAR:
        raise InvalidInput.field("effective_from", f"must be in {MIN_YEAR} to {MAX_YEAR}")
    note = values.pop("note", None)
    latest = session.scalar(select(PayPolicy).order_by(PayPolicy.version.desc()).limit(1))
    base = PolicyTerms.from_json(latest.terms) if latest is not None else DEFAULT_TERMS
    terms = PolicyTerms.from_json(values, base=base)
    row = PayPolicy(
        version=(latest.version if latest is not None else 0) + 1,
        effective_from=effective_from,
        terms=terms.to_json(),
        note=note,
        created_by_token_id=audit.current_actor().token_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "pay_policy.create",
        "pay_policy",
        row.version,
        {"version": row.version, "effective_from": effective_from.isoformat()},
    )
    return PolicyVersion.of(row)


def policies_query() -> Select[tuple[PayPolicy]]:
    return select(PayPolicy).order_by(PayPolicy.version.desc())
