"""Retention of raw exposure events: a scheduled job deletes those older than
``EXPOSURE_EVENT_RETENTION_DAYS``, in bounded batches.

Why deleting is safe: ingestion inserts an event and adds it to the roll-ups
(``exposure_daily``) and runs (``exposure_runs``) in *one* transaction
(:func:`workforce.exposure.ingest.ingest`), so every committed raw event is already rolled
up — there is no "not yet rolled up" state to wait for. Eligibility, rotations, the sweep,
the exposure views and reports read only the roll-ups and runs; nothing reads raw events
after ingestion except the deduplication of a retried batch.

That deduplication is the one thing retention limits: an event is deleted only when both
its ``started_at`` and its ``received_at`` are older than the retention age, so a platform
that retries a batch within that age of first sending it is still told ``duplicates``; a
retry later than that would be counted again. Platforms retry within minutes.

On PostgreSQL (``exposure_events`` partitioned by month of ``received_at``,
:mod:`workforce.exposure.partitions`) no row is deleted: a month's partition is detached and
dropped once its whole month (and the 5 minutes an event may lead) is older than the
retention age, so an event stays between the age and the age plus a month. The stray rows
the default partition holds go in batches as before, and the idempotency keys
(``exposure_event_keys``) of events no longer stored go in batches too.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from workforce import audit
from workforce.exposure import partitions
from workforce.exposure.ingest.validate import MAX_FUTURE
from workforce.exposure.models import ExposureEvent, ExposureEventKey

log = logging.getLogger(__name__)


def delete_old_events(
    session: Session,
    now: dt.datetime,
    *,
    retention_days: int,
    batch_size: int,
    max_batches: int,
) -> dict[str, int]:
    """Scheduled job: delete raw exposure events older than ``retention_days``, oldest
    first, ``batch_size`` rows per statement and at most ``max_batches`` statements per
    run (the rest is left for the next run). ``retention_days`` 0 keeps them forever.

    Idempotent: what is deleted is derived from the clock and the table alone.
    """
    if retention_days < 0 or batch_size < 1 or max_batches < 1:
        raise ValueError("EXPOSURE_EVENT_RETENTION_DAYS must be >= 0 and the batch settings >= 1")
    if retention_days == 0:
        return {"events_deleted": 0, "batches": 0}
    cutoff = now - dt.timedelta(days=retention_days)
    if partitions.is_partitioned(session):
        return _drop_old_months(session, cutoff, batch_size=batch_size, max_batches=max_batches)
    # Found through the received_at index, oldest arrivals first (so a late arrival stays
    # for its retries); started_at is older still but for the 5 minutes an event may lead.
    oldest = (
        select(ExposureEvent.id)
        .where(ExposureEvent.received_at < cutoff, ExposureEvent.started_at < cutoff)
        .order_by(ExposureEvent.received_at)
        .limit(batch_size)
    )
    deleted = batches = 0
    while batches < max_batches:
        result = session.execute(
            delete(ExposureEvent)
            .where(ExposureEvent.id.in_(oldest.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        batches += 1
        deleted += count
        if count < batch_size:
            break
    if deleted:
        audit.record(
            session,
            "exposure_event.deleted",
            "exposure_event",
            None,
            {"count": deleted, "older_than": cutoff.isoformat()},
        )
    log.info("exposure retention: %d raw events older than %s deleted", deleted, cutoff)
    return {"events_deleted": deleted, "batches": batches}


def _drop_old_months(
    session: Session, cutoff: dt.datetime, *, batch_size: int, max_batches: int
) -> dict[str, int]:
    """PostgreSQL: drop the months wholly older than ``cutoff``; delete in batches the old
    rows of the default partition and the keys older than every event still stored."""
    dropped = partitions.drop_partitions_before(session, cutoff - MAX_FUTURE)
    strays = partitions.DEFAULT_PARTITION
    deleted, batches = _delete_in_batches(
        session,
        f"DELETE FROM {strays} WHERE id IN (SELECT id FROM {strays} WHERE received_at < :cutoff"
        " AND started_at < :cutoff ORDER BY received_at LIMIT :n)",
        cutoff,
        batch_size,
        max_batches,
    )
    kept = partitions.monthly_partitions(session)
    keys_before = cutoff
    if kept:
        keys_before = min(cutoff, dt.datetime.combine(kept[0].start, dt.time(), tzinfo=dt.UTC))
    keys, _ = _delete_in_batches(
        session,
        f"DELETE FROM {ExposureEventKey.__tablename__} WHERE (ingest_token_id, event_id) IN "
        f"(SELECT ingest_token_id, event_id FROM {ExposureEventKey.__tablename__} "
        "WHERE received_at < :cutoff ORDER BY received_at LIMIT :n)",
        keys_before,
        batch_size,
        max_batches,
    )
    if dropped or deleted:
        audit.record(
            session,
            "exposure_event.deleted",
            "exposure_event",
            None,
            {"count": deleted, "partitions": dropped, "older_than": cutoff.isoformat()},
        )
    log.info(
        "exposure retention: partitions %s dropped, %d stray events and %d keys older than %s"
        " deleted",
        dropped,
        deleted,
        keys,
        cutoff,
    )
    return {
        "events_deleted": deleted,
        "batches": batches,
        "partitions_dropped": len(dropped),
        "keys_deleted": keys,
    }


def _delete_in_batches(
    session: Session, statement: str, cutoff: dt.datetime, batch_size: int, max_batches: int
) -> tuple[int, int]:
    """Run ``statement`` (``:cutoff``, ``:n`` rows at most) until it deletes fewer than
    ``batch_size`` rows or ``max_batches`` times: the rows deleted and the statements run."""
    deleted = batches = 0
    while batches < max_batches:
        result = session.execute(text(statement), {"cutoff": cutoff, "n": batch_size})
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        deleted += count
        batches += 1
        if count < batch_size:
            break
    return deleted, batches
