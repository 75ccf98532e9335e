"""Failure limits: how many times a key (a client address, a failed secret, an email) failed.

Used to slow down guessing (API tokens, portal passwords). Only failures are counted: a
request that presents a valid credential never touches a counter. A key's window opens at
its first failure and lasts ``seconds``; the failure that takes the count past ``allowed``,
and every later one until the window closes, is answered 429 with ``Retry-After``. There is
never a permanent lock-out.

Counts live where every worker and host sees them, so the documented numbers hold with any
number of processes: in the database by default (:class:`DatabaseStorage`, one row per key
and window, one upsert per key a failure counts for; the ``failure-windows`` job deletes
closed windows), or in Redis when ``WORKFORCE_REDIS_URL`` is set. Both are storages of the
``limits`` library (the engine of Flask-Limiter) behind its fixed-window strategy, whose
Redis storage opens a window at the first hit, as ours does. Keys are stored as SHA-256
digests: the table and Redis hold no address, email or secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Integer, String, case, delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.expression import bindparam

from workforce.db import Base, Database, UTCDateTime, get_db

#: Seconds since the epoch; windows are wall-clock instants shared by every host.
clock = time.time


class FailureWindow(Base):
    """The failures of one key in its current window (``key`` is a digest, never a value)."""

    __tablename__ = "failure_windows"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


def _instant(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


class DatabaseStorage(Storage):
    """A ``limits`` storage in our database: fixed windows that open at a key's first hit.

    Each call is its own short write transaction (a failed request rolls its own back, its
    failure must still count). The upsert is atomic on both databases, so concurrent
    workers never lose a count.
    """

    STORAGE_SCHEME = None  # built from the app's Database, never from a URI

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = clock()
        table = FailureWindow.__table__
        with self.database.writer() as session, session.begin():
            module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            stmt = module.insert(table).values(
                key=key, count=amount, expires_at=_instant(now + expiry)
            )
            closed = table.c.expires_at <= bindparam("now", _instant(now), type_=UTCDateTime())
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((closed, stmt.excluded.count), else_=table.c.count + amount),
                    "expires_at": case(
                        (closed, stmt.excluded.expires_at), else_=table.c.expires_at
                    ),
                },
            ).returning(table.c.count)
            return int(session.execute(stmt).scalar_one())

    def _open(self, session: Session, key: str) -> FailureWindow | None:
        row = session.get(FailureWindow, key)
        return row if row is not None and row.expires_at.timestamp() > clock() else None

    def get(self, key: str) -> int:
        with self.database.reader() as session:
            row = self._open(session, key)
            return row.count if row is not None else 0

    def get_expiry(self, key: str) -> float:
        with self.database.reader() as session:
            row = self._open(session, key)
            return row.expires_at.timestamp() if row is not None else clock()

    def check(self) -> bool:
        with self.database.reader() as session:
            return session.execute(text("SELECT 1")).scalar() == 1

    def reset(self) -> int | None:
        with self.database.writer() as session, session.begin():
            return int(session.execute(delete(FailureWindow)).rowcount or 0)  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        with self.database.writer() as session, session.begin():
            session.execute(delete(FailureWindow).where(FailureWindow.key == key))


def delete_closed_windows(session: Session, now: dt.datetime) -> dict[str, int]:
    """The ``failure-windows`` job: forget windows that have closed (nothing reads them)."""
    result = session.execute(delete(FailureWindow).where(FailureWindow.expires_at <= now))
    return {"deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FailureLimit:
    """``allowed`` failures per key within ``seconds`` of the key's first failure."""

    purpose: str
    allowed: int
    seconds: int


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Failures:
    """Counts failures per key in a shared storage and says how long a key must wait."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = FixedWindowRateLimiter(storage)

    @staticmethod
    def _item(limit: FailureLimit) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(limit.allowed, limit.seconds, namespace=limit.purpose)

    def _wait(self, limit: FailureLimit, key: str) -> int:
        reset = self.limiter.get_window_stats(self._item(limit), _digest(key)).reset_time
        return max(1, math.ceil(reset - clock()))

    def fail(self, limit: FailureLimit, *keys: str) -> int:
        """Count one failure for each key; the seconds to wait when any is past the limit
        (this failure included), else 0."""
        item = self._item(limit)
        over = [key for key in keys if not self.limiter.hit(item, _digest(key))]
        return max((self._wait(limit, key) for key in over), default=0)

    def retry_after(self, limit: FailureLimit, *keys: str) -> int:
        """Seconds before the keys may try again without counting a failure (0: now)."""
        item = self._item(limit)
        blocked = [key for key in keys if not self.limiter.test(item, _digest(key))]
        return max((self._wait(limit, key) for key in blocked), default=0)

    def clear(self, limit: FailureLimit, key: str) -> None:
        """Forget the failures of ``key`` (after it succeeded)."""
        self.limiter.clear(self._item(limit), _digest(key))


def failures(app: Flask | None = None) -> Failures:
    """The app's failure counter: Redis when ``REDIS_URL`` is set, else the database."""
    app = app or current_app
    counter: Failures | None = app.extensions.get("workforce.failures")
    if counter is None:
        url = app.config["REDIS_URL"]
        storage = RedisStorage(url) if url else DatabaseStorage(get_db(app))
        counter = app.extensions["workforce.failures"] = Failures(storage)
    return counter
