"""The shapes an exposure event takes on its way in: :class:`ParsedEvent` once validated
(:mod:`.validate`), :class:`Resolved` once its contractor and queue are known
(:mod:`.resolve`). Plain named tuples, and instants as integer microseconds since the
epoch: the hot path handles thousands of events a request."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

#: Builds a NamedTuple from a tuple in C: the class's own ``__new__`` is a Python call, and
#: the hot path makes thousands of these a request.
make: Any = tuple.__new__

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
DAY_US = 86_400_000_000
SECOND_US = 1_000_000
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
#: The ``exposure_events`` columns a stored event fills, in the order both dialects write.
EVENT_COLUMNS = (
    "ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at, "
    "duration_seconds, items, modality, mitigations, received_at"
)


def day(number: int) -> dt.date:
    """A local day number (days since 1970-01-01) as a date."""
    return dt.date.fromordinal(number + EPOCH_ORDINAL)


class ParsedEvent(NamedTuple):
    position: int
    event_id: str
    contractor_id: int | None
    contractor_ref: str | None
    queue: str
    category: str | None
    started_at: dt.datetime
    start_us: int
    duration_seconds: int
    items: int
    #: ``None``: the event did not say (unknown)
    modality: str | None
    #: the mitigations sorted and comma-joined, ``"none"`` for ``[]``; ``None``: unknown
    mitigations: str | None


class ContractorInfo(NamedTuple):
    id: int
    status: str
    zone: ZoneInfo


class QueueInfo(NamedTuple):
    id: int
    tier: int
    categories: frozenset[str]


class Resolved(NamedTuple):
    """An event ready to store: ids resolved, tier from the queue, times in microseconds."""

    event_id: str
    contractor: ContractorInfo
    queue_id: int
    tier: int
    category: str | None
    started_at: dt.datetime
    start_us: int
    duration_seconds: int
    items: int
    modality: str | None
    mitigations: str | None
