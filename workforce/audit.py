"""Append-only, keyed hash chain with signed checkpoints.

Every write records what happened through :func:`record`. Rows are appended when the
transaction commits, under a lock, so the chain has no forks: ``hash`` is HMAC-SHA256,
keyed with :func:`chain_key` (never stored in the database), over the previous row's hash
and the canonical JSON of this row. Without the key nobody can recompute the chain after
editing, deleting or reordering a row, which :func:`verify_chain` reports.

A chain alone cannot show that its newest rows were cut off. :func:`write_checkpoint`
signs the head (its id, hash and the number of rows) into ``audit_checkpoints`` and
appends the same record to a file outside the database, as a cloud audit trail's digest
files do; :func:`verify_chain` checks every row a checkpoint covers is still there.
Summaries never carry secrets or wellbeing answers; callers pass only what changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import g, has_request_context
from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    String,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workforce.config import ConfigError
from workforce.db import AUDIT_KEY_INFO, Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
#: Label under which the chain key is derived from SECRET_KEY (domain separation: the
#: same secret also signs portal cookies, and neither may stand in for the other).
KEY_LABEL = b"workforce audit chain"
#: An explicit WORKFORCE_AUDIT_KEY shorter than this is refused at start.
MIN_KEY_CHARS = 32
#: Arbitrary constant naming the PostgreSQL advisory lock that serialises appends.
AUDIT_LOCK_KEY = 727_001
_PENDING = "workforce.audit_pending"
_PENDING_LINES = "workforce.audit_checkpoint_lines"
#: Rows re-signed per UPDATE by :func:`rekey`.
REKEY_BATCH = 5000


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


class AuditCheckpoint(Base):
    """A signed statement "the log had ``event_count`` rows ending in this head"."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: 0 (and the genesis hash) for an empty log.
    head_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: Why it was written when not by the schedule, e.g. the legacy head a rekey replaced.
    note: Mapped[str | None] = mapped_column(String(300))
    signature: Mapped[str] = mapped_column(String(64))


def chain_key(config: Mapping[str, Any]) -> bytes:
    """The chain's HMAC key: ``AUDIT_KEY`` when set, else HMAC(SECRET_KEY, KEY_LABEL)."""
    explicit = str(config.get("AUDIT_KEY") or "")
    if explicit:
        if len(explicit) < MIN_KEY_CHARS:
            raise ConfigError("AUDIT_KEY", f"must be at least {MIN_KEY_CHARS} characters")
        return explicit.encode("utf-8")
    secret = str(config.get("SECRET_KEY") or "")
    if not secret:
        raise ConfigError("SECRET_KEY", "set it (or WORKFORCE_AUDIT_KEY): the audit chain's key")
    return hmac.new(secret.encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()


def _key(session: Session) -> bytes:
    key = session.info.get(AUDIT_KEY_INFO)
    if not isinstance(key, bytes):
        raise RuntimeError("audit: the session has no chain key (make it with db.Database)")
    return key


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


def _payload(prev_hash: str, event: AuditEvent) -> bytes:
    return (prev_hash + canonical(_hashed_fields(event))).encode("utf-8")


def compute_hash(key: bytes, prev_hash: str, event: AuditEvent) -> str:
    return hmac.new(key, _payload(prev_hash, event), hashlib.sha256).hexdigest()


def legacy_hash(prev_hash: str, event: AuditEvent) -> str:
    """The unkeyed SHA-256 of chains written before revision 0141 (only :func:`rekey`
    accepts it)."""
    return hashlib.sha256(_payload(prev_hash, event)).hexdigest()


def _lock(session: Session) -> None:
    """Serialise appends and checkpoints. On SQLite the writer transaction is BEGIN
    IMMEDIATE: they are already serial."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    key = _key(session)
    _lock(session)
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
        row.hash = compute_hash(key, prev_hash, row)
        session.add(row)
        prev_hash, next_id = row.hash, next_id + 1
    session.flush()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _append_pending(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Only a committed checkpoint goes to the file: a line whose row was rolled back (a
    # failed rekey, say) would name a head the database never had.
    for path, line in session.info.pop(_PENDING_LINES, []):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PENDING_LINES, None)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str | None = None
    #: Signed checkpoints whose signature and head were verified.
    checkpoints: int = 0


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


@dataclass(frozen=True)
class SignedHead:
    """A checkpoint's signed content, as stored in the table and in the checkpoint file."""

    created_at: str
    head_id: int
    head_hash: str
    event_count: int
    note: str | None
    signature: str

    def signed_fields(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "event_count": self.event_count,
            "note": self.note,
        }

    def expected_signature(self, key: bytes) -> str:
        message = b"checkpoint" + canonical(self.signed_fields()).encode("utf-8")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> SignedHead:
        return cls(
            row.created_at.astimezone(dt.UTC).isoformat(),
            row.head_id,
            row.head_hash,
            row.event_count,
            row.note,
            row.signature,
        )


def checkpoint_file(config: Mapping[str, Any]) -> Path:
    """Where checkpoints are appended outside the database (resolved by ``create_app``)."""
    return Path(config["AUDIT_CHECKPOINT_FILE"])


def _file_heads(path: Path | None) -> list[SignedHead]:
    """The checkpoints in the file; ValueError names a line that is not one."""
    if path is None or not path.exists():
        return []
    heads = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            head = SignedHead(**json.loads(line))
        except (ValueError, TypeError):
            raise ValueError(f"line {number} of {path} is not a checkpoint") from None
        if not isinstance(head.signature, str) or not isinstance(head.head_id, int):
            raise ValueError(f"line {number} of {path} is not a checkpoint")
        heads.append(head)
    return heads


def _unkeyed_hint(session: Session) -> str | None:
    first = session.get(AuditEvent, 1)
    if first is not None and first.hash == legacy_hash(GENESIS_HASH, first):
        return (
            "the chain is unkeyed (written before revision 0141): "
            "run `flask --app workforce audit rekey` once"
        )
    return None


def verify_chain(session: Session, checkpoint_path: Path | None = None) -> ChainReport:
    """Walk the log in id order, then hold it against every signed checkpoint (the table's
    and ``checkpoint_path``'s): the first row whose link or content is wrong, or the first
    checkpoint whose head is gone, is reported."""
    key = _key(session)
    try:
        in_file = _file_heads(checkpoint_path)
    except ValueError as error:
        return ChainReport(False, 0, None, str(error))
    # The same checkpoint is in the table and the file: one check for identical copies.
    stored = [SignedHead.from_row(r) for r in session.scalars(select(AuditCheckpoint))]
    heads = list(dict.fromkeys(stored + in_file))
    for head in heads:
        if not hmac.compare_digest(head.signature, head.expected_signature(key)):
            return ChainReport(
                False, 0, head.head_id, f"checkpoint of {head.created_at} has a bad signature"
            )
    wanted = {head.head_id for head in heads}
    seen: dict[int, str] = {0: GENESIS_HASH}
    prev_hash, expected_id, checked = GENESIS_HASH, 1, 0
    for row in _iter_chain(session):
        if row.id != expected_id:
            return ChainReport(False, checked, row.id, f"row {expected_id} is missing")
        if row.prev_hash != prev_hash:
            return ChainReport(False, checked, row.id, "prev_hash does not match the row before")
        if compute_hash(key, prev_hash, row) != row.hash:
            problem = _unkeyed_hint(session) or "content does not match its hash"
            return ChainReport(False, checked, row.id, problem)
        if row.id in wanted:
            seen[row.id] = row.hash
        prev_hash, expected_id, checked = row.hash, expected_id + 1, checked + 1
    # Newest first, so a cut-off tail is named by the checkpoint that covered the most.
    for head in sorted(heads, key=lambda h: (h.head_id, h.created_at), reverse=True):
        if head.head_id not in seen:
            return ChainReport(
                False,
                checked,
                head.head_id,
                f"the log ends at event {checked} but the checkpoint of {head.created_at} "
                f"covers {head.event_count} events: the tail was lost or deleted",
            )
        if seen[head.head_id] != head.head_hash or head.event_count != head.head_id:
            return ChainReport(
                False,
                checked,
                head.head_id,
                f"event {head.head_id} is not the head the checkpoint of {head.created_at} signed",
            )
    return ChainReport(True, checked, checkpoints=len(heads))


def write_checkpoint(
    session: Session, now: dt.datetime, *, path: Path | None = None, note: str | None = None
) -> dict[str, int]:
    """Sign the current head into ``audit_checkpoints``, and append it to ``path`` once the
    transaction commits.

    A chain still unkeyed is not signed (that would bless hashes anyone can recompute):
    it needs :func:`rekey` first, and the count ``unkeyed`` says so.
    """
    key = _key(session)
    _lock(session)
    if _unkeyed_hint(session) is not None:
        return {"checkpoints": 0, "unkeyed": 1}
    head = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    head_id, head_hash = (head[0], head[1]) if head else (0, GENESIS_HASH)
    row = AuditCheckpoint(
        created_at=now,
        head_id=head_id,
        head_hash=head_hash,
        event_count=head_id,
        note=note,
        signature="",
    )
    row.signature = SignedHead.from_row(row).expected_signature(key)
    session.add(row)
    session.flush()
    if path is not None:
        record = {**SignedHead.from_row(row).signed_fields(), "signature": row.signature}
        session.info.setdefault(_PENDING_LINES, []).append((path, canonical(record)))
    return {"checkpoints": 1, "head_id": head_id}


def rekey(session: Session, now: dt.datetime, *, path: Path | None = None) -> int:
    """Re-sign an unkeyed chain (revision 0141's upgrade path) with the key, from genesis.

    Every row must still link by the old SHA-256 (or, for rows appended after the upgrade,
    by the key); the legacy head is recorded in a checkpoint written in the same transaction.
    Refused once any checkpoint exists: a keyed chain is never rewritten. Returns the rows.
    """
    key = _key(session)
    _lock(session)
    if session.scalar(select(func.count()).select_from(AuditCheckpoint)):
        raise ValueError("the chain is already keyed and checkpointed; it is never rewritten")
    old_prev = new_prev = GENESIS_HASH
    expected_id, changes = 1, []
    # Rows already read are rewritten in batches (memory stays bounded on a long log); the
    # walk reads ahead by id, so it never meets a rewritten row.
    for row in _iter_chain(session):
        links = row.id == expected_id and row.prev_hash == old_prev
        if not links or row.hash not in (
            legacy_hash(old_prev, row),
            compute_hash(key, old_prev, row),
        ):
            raise ValueError(f"the chain is broken at event {row.id}; nothing was rekeyed")
        new_hash = compute_hash(key, new_prev, row)
        changes.append({"id": row.id, "prev_hash": new_prev, "hash": new_hash})
        old_prev, new_prev, expected_id = row.hash, new_hash, expected_id + 1
        if len(changes) == REKEY_BATCH:
            session.execute(update(AuditEvent), changes)
            changes = []
    if changes:
        session.execute(update(AuditEvent), changes)
    write_checkpoint(
        session, now, path=path, note=f"rekeyed; legacy head {expected_id - 1}:{old_prev}"
    )
    return expected_id - 1


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
