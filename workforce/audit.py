"""Append-only, hash-chained audit log.

Every write records what happened through :func:`record`. Rows are appended when the
transaction commits, under a lock, so the chain has no forks: ``hash`` is SHA-256 over
the previous row's hash and the canonical JSON of this row. Editing, deleting or
reordering a row breaks the chain at that row, which :func:`verify_chain` reports.
Summaries never carry secrets or wellbeing answers; callers pass only what changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import JSON, BigInteger, Index, Integer, String, event, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from workforce.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
#: Arbitrary constant naming the PostgreSQL advisory lock that serialises appends.
AUDIT_LOCK_KEY = 727_001
_PENDING = "workforce.audit_pending"


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        Index("ix_audit_events_actor", "actor_token_id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    # Assigned under the append lock (not autoincrement): the id is part of the hash.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_token_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(80))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


@dataclass(frozen=True)
class Actor:
    token_id: int | None
    role: str
    name: str


SYSTEM = Actor(token_id=None, role="system", name="system")


def current_actor() -> Actor:
    """The principal of the current request, or the system (jobs, commands)."""
    if has_request_context():
        principal = g.get("principal")
        if principal is not None:
            return Actor(principal.token_id, principal.role, principal.name)
    return SYSTEM


def record(
    session: Session,
    action: str,
    target_type: str,
    target_id: object | None = None,
    summary: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
) -> None:
    """Queue an audit row; it is appended when (and only if) the transaction commits."""
    session.info.setdefault(_PENDING, []).append(
        {
            "occurred_at": utcnow(),
            "actor": actor or current_actor(),
            "action": action,
            "target_type": target_type,
            "target_id": None if target_id is None else str(target_id),
            "summary": summary or {},
        }
    )


def canonical(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
        "actor_token_id": event.actor_token_id,
        "actor_role": event.actor_role,
        "actor_name": event.actor_name,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "summary": event.summary,
    }


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    payload = prev_hash + canonical(_hashed_fields(event))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    # On SQLite the writer transaction is BEGIN IMMEDIATE: appends are already serial.
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    next_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    for item in pending:
        actor: Actor = item["actor"]
        row = AuditEvent(
            id=next_id,
            occurred_at=item["occurred_at"],
            actor_token_id=actor.token_id,
            actor_role=actor.role,
            actor_name=actor.name,
            action=item["action"],
            target_type=item["target_type"],
            target_id=item["target_id"],
            summary=json.loads(canonical(item["summary"])),
            prev_hash=prev_hash,
        )
        row.hash = compute_hash(prev_hash, row)
        session.add(row)
        prev_hash, next_id = row.hash, next_id + 1
    session.flush()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _append_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str | None = None


def _iter_chain(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Walk the log in id order; report the first row whose link or content is wrong."""
    prev_hash, expected_id, checked = GENESIS_HASH, 1, 0
    for row in _iter_chain(session):
        if row.id != expected_id:
            return ChainReport(False, checked, row.id, f"row {expected_id} is missing")
        if row.prev_hash != prev_hash:
            return ChainReport(False, checked, row.id, "prev_hash does not match the row before")
        if compute_hash(prev_hash, row) != row.hash:
            return ChainReport(False, checked, row.id, "content does not match its hash")
        prev_hash, expected_id, checked = row.hash, expected_id + 1, checked + 1
    return ChainReport(True, checked)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
