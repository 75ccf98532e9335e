"""Exposure tables: raw events, the daily roll-ups every rule reads, the per-contractor
day totals, the run of continuous exposure, and the versioned exposure policy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workforce.db import Base, UTCDateTime, utcnow
from workforce.harm import UNKNOWN
from workforce.timeutil import from_us

#: The longest ``event_id`` a platform may send.
EVENT_ID_MAX = 128
#: :class:`ExposureRun`'s run columns in the order the run algorithm keeps them
#: (:mod:`workforce.exposure.ingest.runs`): start and end per tier, then the breaks due.
RUN_COLUMNS = (
    "tier1_start_us",
    "tier1_end_us",
    "tier2_start_us",
    "tier2_end_us",
    "tier3_start_us",
    "tier3_end_us",
    "tier1_due_us",
    "tier2_due_us",
    "tier3_due_us",
)


class ExposureEvent(Base):
    """One raw event as a platform sent it; written once, never updated.

    This is the SQLite shape. On PostgreSQL migration 0195 makes the table partitioned by
    month of ``received_at`` (:mod:`workforce.exposure.partitions`): its primary key is
    ``(id, received_at)`` and the ``(ingest_token_id, event_id)`` key is kept unique by
    :class:`ExposureEventKey` instead (a partitioned table's unique index must include the
    partition key)."""

    __tablename__ = "exposure_events"
    __table_args__ = (
        UniqueConstraint("ingest_token_id", "event_id"),
        CheckConstraint("duration_seconds BETWEEN 0 AND 14400", name="duration_range"),
        #: The retention job finds the oldest events through it (wellbeing/retention.py).
        #: On the arrival instant, which only grows, so each batch appends at the index's
        #: right edge; an index on ``started_at`` (any order) cost a quarter of ingestion.
        Index("ix_exposure_events_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: The idempotency namespace: event ids are unique per ingest token.
    ingest_token_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_MAX))
    # No foreign keys, on purpose: ingestion resolves both ids in the same transaction
    # (:func:`resolve`), contractors and queues are never deleted (offboarding and
    # deactivation are statuses), and per-row foreign-key checks were 60 % of the insert
    # on PostgreSQL (docs/exposure.md). The roll-ups keep theirs.
    contractor_id: Mapped[int] = mapped_column(Integer)
    queue_id: Mapped[int] = mapped_column(Integer)
    #: The queue's tier when the event arrived (a queue's tier may change later).
    tier: Mapped[int] = mapped_column(SmallInteger)
    #: NULL for tier 0 queues, which carry no harm category.
    category: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    #: One of :data:`workforce.harm.MODALITIES`; NULL: the event did not say (unknown).
    modality: Mapped[str | None] = mapped_column(String(8))
    #: The event's mitigations sorted and comma-joined (``"blurred,greyscale"``), ``"none"``
    #: for ``[]``; NULL: the event did not say (unknown).
    mitigations: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ExposureEventKey(Base):
    """PostgreSQL: the idempotency key of every stored raw event, in one table that is not
    partitioned, so ``(ingest_token_id, event_id)`` stays unique across months; ingestion
    inserts here first and stores only the events whose key was new. Retention deletes the
    keys older than every stored event. Empty on SQLite, where ``exposure_events`` keeps
    its own unique key."""

    __tablename__ = "exposure_event_keys"
    __table_args__ = (Index("ix_exposure_event_keys_received_at", "received_at"),)

    ingest_token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_MAX), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ExposureDaily(Base):
    """Seconds, items, events and breaks per contractor x local day x tier x category x
    queue x modality x mitigations (tier >= 1)."""

    __tablename__ = "exposure_daily"
    __table_args__ = (Index("ix_exposure_daily_local_day", "local_day"),)

    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    #: The contractor's own calendar date (their time zone when the event arrived).
    local_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    tier: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The queue the events came from (rows from before migration 0113: see docs/reports.md).
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"), primary_key=True)
    #: The events' modality, ``unknown`` when they did not say (and rows from before 0181).
    modality: Mapped[str] = mapped_column(
        String(8), primary_key=True, default=UNKNOWN, server_default=UNKNOWN
    )
    #: The events' mitigations as :attr:`ExposureEvent.mitigations` stores them, ``unknown``
    #: when they did not say.
    mitigations: Mapped[str] = mapped_column(
        String(64), primary_key=True, default=UNKNOWN, server_default=UNKNOWN
    )
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    items: Mapped[int] = mapped_column(BigInteger, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    #: Breaks that fell due with an event of this row (module docstring); on the day the
    #: event started, like ``items`` and ``events``.
    breaks_due: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Due breaks cut short by an event of this row.
    breaks_missed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ContractorDay(Base):
    """The roll-ups of one contractor x local day summed: seconds at tier >= 1, >= 2 and
    >= 3, breaks due and missed. Written in the same upsert pass as :class:`ExposureDaily`
    (always the sum of its rows for the day: :func:`rebuild_contractor_days`); the exposure
    report reads it (day first, so a period is one range of the key)."""

    __tablename__ = "contractor_days"

    local_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    tier1_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    tier2_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    tier3_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    breaks_due: Mapped[int] = mapped_column(Integer, default=0)
    breaks_missed: Mapped[int] = mapped_column(Integer, default=0)


class ExposureRun(Base):
    """Each contractor's current run of continuous exposure, one per policy tier t
    (exposure at tier t and above), start and end as integer microseconds since the epoch
    (UTC). Integers rather than UTCDateTime because ingestion reads and writes thousands of
    these a second; :meth:`run` gives them back as aware datetimes."""

    __tablename__ = "exposure_runs"

    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), primary_key=True)
    tier1_start_us: Mapped[int | None] = mapped_column(BigInteger)
    #: The end of the last event in the run; a break is measured from here.
    tier1_end_us: Mapped[int | None] = mapped_column(BigInteger)
    tier2_start_us: Mapped[int | None] = mapped_column(BigInteger)
    tier2_end_us: Mapped[int | None] = mapped_column(BigInteger)
    tier3_start_us: Mapped[int | None] = mapped_column(BigInteger)
    tier3_end_us: Mapped[int | None] = mapped_column(BigInteger)
    #: The run's end when its break fell due (E > 0); -E once an event cut that break
    #: short (no further break is due in this run); NULL before the run reaches the limit.
    tier1_due_us: Mapped[int | None] = mapped_column(BigInteger)
    tier2_due_us: Mapped[int | None] = mapped_column(BigInteger)
    tier3_due_us: Mapped[int | None] = mapped_column(BigInteger)
    #: Batches that added to this contractor's roll-ups: the rotation sweep measures again
    #: only those whose count moved (:mod:`workforce.rotations.sweep`).
    changes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    def run(self, tier: int) -> tuple[dt.datetime, dt.datetime] | None:
        """The current run at ``tier`` and above as aware datetimes, if there is one."""
        start, end = getattr(self, f"tier{tier}_start_us"), getattr(self, f"tier{tier}_end_us")
        if start is None or end is None:
            return None
        return from_us(start), from_us(end)


class ExposurePolicy(Base):
    __tablename__ = "exposure_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: 1, 2, 3...: what rotations and reports cite.
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    #: ``[{"tier": 3, "daily_cap_minutes": {"value": 240, "note": "..."}, ...}, ...]``
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    planned_rotation: Mapped[dict[str, Any]] = mapped_column(JSON)
    checkin: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``{"video": {"value": 1.0, "note": "..."}, ...}``: how much a minute of each modality
    #: weighs in the reports' weighted minutes (never in the limits).
    modality_weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_token_id: Mapped[int | None] = mapped_column(Integer)
