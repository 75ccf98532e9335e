"""Step 2 of ingestion: the contractors and queues a batch names, one query each.

Every event that names something unknown, an offboarded contractor, or a category its
queue does not carry is an error, and then the batch is refused (a 422 naming each
``events.<index>.<field>``). Suspended contractors' events are accepted: the exposure
happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workforce import db
from workforce.exposure.ingest import dialect
from workforce.exposure.ingest.events import (
    ContractorInfo,
    ParsedEvent,
    QueueInfo,
    Resolved,
    make,
)
from workforce.exposure.ingest.validate import BatchErrors


def resolve(session: Session, events: Sequence[ParsedEvent]) -> list[Resolved]:
    """The events with their contractor and queue (contractors by id or external_ref,
    queues by slug), or :class:`workforce.errors.InvalidInput` naming every event that
    cannot be stored."""
    ids = list({e.contractor_id for e in events if e.contractor_id is not None})
    refs = list({e.contractor_ref for e in events if e.contractor_ref is not None})
    slugs = list({e.queue for e in events})
    sql = dialect.of(session)
    by_id: dict[int, ContractorInfo] = {}
    by_ref: dict[str, ContractorInfo] = {}
    for row in sql.find_contractors(session, ids, refs):
        info = make(ContractorInfo, (row.id, row.status, ZoneInfo(row.timezone)))
        by_id[row.id] = info
        if row.external_ref is not None:
            by_ref[row.external_ref] = info
    queues = {
        row.slug: QueueInfo(row.id, row.tier, frozenset(db.json_value(row.categories) or ()))
        for row in sql.find_queues(session, slugs)
    }
    errors = BatchErrors()
    out: list[Resolved] = []
    append = out.append
    # Plain tuple unpacking and local lookups: this loop runs for every event.
    for (
        pos,
        event_id,
        cid,
        ref,
        slug,
        category,
        started_at,
        start_us,
        seconds,
        items,
        modality,
        mitigations,
    ) in events:
        if cid is not None:
            contractor = by_id.get(cid)
            field = "contractor_id"
        else:
            contractor = by_ref.get(ref)  # type: ignore[arg-type]
            field = "contractor_ref"
        queue = queues.get(slug)
        if (
            contractor is not None
            and queue is not None
            and contractor.status != "offboarded"
            and (category in queue.categories if queue.tier else category is None)
        ):
            append(
                make(
                    Resolved,
                    (
                        event_id,
                        contractor,
                        queue.id,
                        queue.tier,
                        category,
                        started_at,
                        start_us,
                        seconds,
                        items,
                        modality,
                        mitigations,
                    ),
                )
            )
            continue
        if contractor is None:
            errors.add(pos, field, "no such contractor")
        elif contractor.status == "offboarded":
            errors.add(pos, field, "the contractor is offboarded")
        if queue is None:
            errors.add(pos, "queue", f"no queue has the slug '{slug[:64]}'")
        elif queue.tier == 0:
            if category is not None:
                errors.add(pos, "category", "a tier 0 queue carries no harm category")
        elif category is None:
            errors.add(pos, "category", "required for a queue of tier 1 to 3")
        elif category not in queue.categories:
            errors.add(pos, "category", f"the queue '{slug}' does not carry {category}")
    errors.raise_if_any()
    return out
