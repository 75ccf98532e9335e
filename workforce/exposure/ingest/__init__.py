"""Exposure events: fast, idempotent ingestion and the roll-ups every rule reads.

Moderation platforms post batches of up to 5,000 events. A batch is validated as a whole
(:mod:`.validate`: one bad event rejects it, naming ``events.<index>.<field>``), its
contractors and queues are looked up (:mod:`.resolve`), then in one transaction:

1. the raw events go in skipping any ``(ingest token, event_id)`` already stored (SQLite:
   ``INSERT ... ON CONFLICT DO NOTHING RETURNING``; PostgreSQL: the keys into
   ``exposure_event_keys`` skipping stored ones, then ``COPY`` of the events whose key was
   new into the table partitioned by month, see :func:`.postgresql.insert_events`), so a
   retried batch, whole or partial, adds nothing twice;
2. the contractor's current *run* of continuous exposure is extended (:mod:`.runs`),
   noting the breaks that fall due and those cut short, and its ``changes`` count moves
   (the rotation sweep measures again only those whose count moved);
3. only the events really inserted are rolled up (:mod:`.rollup`): seconds, items, events
   and break counts per contractor x local day x tier x category x queue
   (:class:`ExposureDaily`), with one upsert per group (``seconds = seconds +
   excluded.seconds``); an event that crosses the contractor's local midnight is split
   between the two days; the same seconds and break counts summed per contractor x local
   day (:class:`ContractorDay`, what the exposure report reads when no tier, category or
   queue divides a day: a tenth of the rows).

Nothing here creates one ORM object per event: the hot path is plain tuples and
dialect-specific bulk SQL on the DB-API cursor (:mod:`.sqlite`: a multi-row ``VALUES``;
:mod:`.postgresql`: binary ``COPY``, ``unnest`` of binary arrays, and the runs and roll-up
writes in pipeline mode, so the server applies one upsert while Python prepares the next).
Eligibility, the exposure view, rotations and reports read the roll-ups and runs, never the
raw events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from workforce import audit
from workforce.db import utcnow
from workforce.exposure.ingest import dialect, resolve, rollup, runs, validate
from workforce.exposure.ingest.events import Resolved
from workforce.exposure.ingest.rollup import contractor_day_sums, rebuild_contractor_days
from workforce.exposure.policy import current_policy

__all__ = ["IngestResult", "contractor_day_sums", "ingest", "rebuild_contractor_days"]


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


def ingest(
    session: Session, token_id: int, events: object, *, now: dt.datetime | None = None
) -> IngestResult:
    """Validate a batch as a whole, store the events not seen before from this token, and
    roll them up, in the caller's transaction (nothing is committed here)."""
    now = now or utcnow()
    parsed = validate.validate_events(events, now)
    resolved = resolve.resolve(session, parsed)
    unique: dict[str, Resolved] = {}
    for e in resolved:
        unique.setdefault(e.event_id, e)  # a repeat inside the batch is a duplicate too
    # In event_id order: two overlapping batches then take the unique index's row locks in
    # the same order on PostgreSQL, so one waits for the other instead of deadlocking.
    ordered = [unique[event_id] for event_id in sorted(unique)]
    sql = dialect.of(session)
    inserted = sql.insert_events(session, token_id, ordered, now)
    new = [e for event_id, e in unique.items() if event_id in inserted]
    if new:
        policy = current_policy(session, now)
        with sql.pipelined(session):
            breaks = runs.update_runs(session, new, policy)
            groups = rollup.aggregate_daily(new)
            rollup.add_breaks(groups, new, breaks)
            rollup.upsert_daily(session, groups)
            rollup.upsert_contractor_days(session, groups)
        audit.record(
            session,
            "exposure.ingest",
            "ingest_token",
            token_id,
            {"accepted": len(new), "duplicates": len(parsed) - len(new)},
        )
    return IngestResult(accepted=len(new), duplicates=len(parsed) - len(new))
