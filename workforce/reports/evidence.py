"""The evidence every report carries, its content hash, and stored runs.

``sha256`` is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of the
report's content without ``sha256`` and ``run_id``; anyone holding the JSON can recompute
it with :func:`content_hash`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce.audit import Actor
from workforce.errors import NotFound
from workforce.exposure.models import ExposurePolicy
from workforce.exposure.policy import ensure_default
from workforce.reports.models import ReportRun

UNHASHED = ("sha256", "run_id")


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: dict[str, Any]) -> str:
    body = {key: value for key, value in content.items() if key not in UNHASHED}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def policies_in_force(session: Session, start: dt.date, end: dt.date) -> list[ExposurePolicy]:
    """Every version in force at some instant of ``start`` 00:00 UTC .. ``end`` 24:00 UTC,
    oldest first."""
    ensure_default(session)
    rows = list(
        session.scalars(
            select(ExposurePolicy).order_by(ExposurePolicy.effective_from, ExposurePolicy.version)
        )
    )
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    chosen = []
    for index, row in enumerate(rows):
        later = [r.effective_from for r in rows[index + 1 :]]
        until = min(later) if later else None
        if row.effective_from < hi and (until is None or until > lo):
            chosen.append(row)
    return chosen or rows[-1:]


def envelope(
    kind: str,
    *,
    start: dt.date,
    end: dt.date,
    filters: dict[str, Any],
    policies: list[ExposurePolicy] | list[dict[str, Any]],
    actor: Actor,
    generated_at: dt.datetime,
    body: dict[str, Any],
) -> dict[str, Any]:
    """The report with what it cites and its hash. ``policies``: the exposure policy
    versions in force, or (a report on another policy, like pay's) the versions it cites,
    already as ``{"version", "effective_from", ...}``."""
    content = {
        "kind": kind,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "filters": filters,
        "policy_versions": [
            p
            if isinstance(p, dict)
            else {
                "version": p.version,
                "name": p.name,
                "effective_from": p.effective_from.isoformat(),
            }
            for p in policies
        ],
        "generated_at": generated_at.isoformat(),
        "generated_by": {"name": actor.name, "role": actor.role},
        **body,
    }
    content["sha256"] = content_hash(content)
    return content


def store_run(session: Session, content: dict[str, Any], actor: Actor) -> ReportRun:
    """Keep the report as served; ``content["run_id"]`` is set to the new run's id."""
    run = ReportRun(
        kind=content["kind"],
        content=content,
        sha256=content["sha256"],
        generated_at=dt.datetime.fromisoformat(content["generated_at"]),
        generated_by_name=actor.name[:200],
        generated_by_role=actor.role,
        generated_by_token_id=actor.token_id,
    )
    session.add(run)
    session.flush()
    content["run_id"] = run.id
    return run


def get_run(session: Session, run_id: int) -> dict[str, Any]:
    run = session.get(ReportRun, run_id)
    if run is None:
        raise NotFound("no such report run")
    return {**run.content, "run_id": run.id}
