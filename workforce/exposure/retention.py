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
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.exposure.models import ExposureEvent

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
