"""What ingestion asks of a SQL dialect module (:mod:`.sqlite`, :mod:`.postgresql`), and
which one a session's database takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy.orm import Session

from workforce import db
from workforce.exposure.ingest import postgresql, sqlite
from workforce.exposure.ingest.events import Resolved


class Dialect(Protocol):
    """Rows come back with attribute access by column name (:func:`workforce.db.named_rows`)."""

    def find_contractors(self, session: Session, ids: list[int], refs: list[str]) -> list[Any]:
        """``id, external_ref, status, timezone`` of contractors named by id or ref."""

    def find_queues(self, session: Session, slugs: list[str]) -> list[Any]:
        """``id, slug, tier, categories`` of queues by slug."""

    def insert_events(
        self,
        session: Session,
        token_id: int,
        events: Sequence[Resolved],
        received_at: dt.datetime,
    ) -> set[str]:
        """Store the events not stored yet for this token; the event ids stored."""

    def read_runs(self, session: Session, ids: list[int]) -> list[Any]:
        """``contractor_id`` and the run columns of these contractors' runs rows."""

    def upsert(
        self,
        session: Session,
        table: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
        on_conflict: str,
    ) -> None:
        """Insert rows (name and PostgreSQL type per column), ``on_conflict`` deciding."""

    def local_day(self, number: int) -> Any:
        """A local day number (days since 1970-01-01) as a ``Date`` parameter."""

    def pipelined(self, session: Session) -> AbstractContextManager[Any]:
        """A block whose statements may run while Python prepares the next."""


def of(session: Session) -> Dialect:
    """The dialect module of the session's database."""
    return postgresql if db.is_postgresql(session) else sqlite
