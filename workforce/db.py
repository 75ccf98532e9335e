"""Database plumbing: declarative base, engine and sessions per app, a UTC datetime type.

One transaction per request or job: services only ``flush()``; the boundary commits or
rolls back: :func:`commit_request` for a request, :func:`transaction` for a job or command.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, Response, current_app, g, has_request_context, request
from flask.typing import ResponseReturnValue
from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    Numeric,
    Row,
    String,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from workforce.errors import (
    SQLITE_UNAVAILABLE,
    Conflict,
    is_concurrency_error,
    is_unavailable_error,
)

#: Retry jitter from a generator of our own, leaving the shared random state alone.
_JITTER = random.Random()

# Stable constraint names so that migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC; naive values are a programming error."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database layer")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zone type: store naive UTC text, which sorts correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# --- plain SQL ---------------------------------------------------------------------------
#
# One way to write SQL by hand: ``:name`` parameters on both databases, rows read by column
# name (``row.contractor_id``). :func:`rows` and :func:`execute` go through SQLAlchemy (its
# events and error handling: a busy database is retried like any statement);
# :func:`driver_rows` and :func:`driver_cursor` skip it for the hot paths (eligibility,
# ingestion), where SQLAlchemy's work per statement costs more than the query.
# :func:`driver_rows` takes dates and aware datetimes as they are (:func:`sqlite_value`
# writes them as SQLAlchemy does on SQLite); values come back as the driver gives them, and
# :func:`instant_value`, :func:`date_value` and :func:`json_value` read them as the ORM
# would.


def rows(session: Session, sql: str, /, **params: Any) -> Sequence[Row[Any]]:
    """Rows of a plain SQL query in the session's transaction."""
    return session.execute(text(sql), params).all()


def execute(session: Session, sql: str, params: Sequence[Mapping[str, Any]]) -> None:
    """Run a plain SQL statement once per parameter set (one ``executemany``)."""
    if params:
        session.execute(text(sql), list(params))


@contextmanager
def driver_cursor(session: Session) -> Iterator[Any]:
    """A DB-API cursor on the session's connection, inside its transaction, closed when
    the ``with`` block ends: with :func:`driver_rows`, the way below SQLAlchemy, for the
    hot paths and what SQLAlchemy cannot do (PostgreSQL's ``COPY`` and pipeline mode). A
    statement sent on it takes the driver's own named parameters (SQLite ``:name``,
    psycopg ``%(name)s``, or ``%(name)b`` for binary); :func:`named_rows` reads its rows."""
    cursor = session.connection().connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def driver_rows(session: Session, sql: str, /, **params: Any) -> list[Any]:
    """:func:`rows` on the DB-API cursor, for the hot paths: the same ``:name``
    parameters, rows read by column name (or position) too."""
    conn = session.connection()
    cursor = conn.connection.cursor()  # as driver_cursor does, without its cost per check
    try:
        if conn.dialect.name == "postgresql":
            cursor.execute(_pyformat(sql), params)
        else:
            for name, value in params.items():
                if isinstance(value, dt.date):  # datetimes too
                    params[name] = sqlite_value(value)
            cursor.execute(sql, params)
        return named_rows(cursor, sql)
    finally:
        cursor.close()


#: ``:name`` as SQLAlchemy's ``text()`` reads it (not ``::type`` casts).
_NAMED_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
_PYFORMAT: dict[str, str] = {}


def _pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (and a literal ``%`` doubled)."""
    found = _PYFORMAT.get(sql)
    if found is None:
        if len(_PYFORMAT) > 2000:
            _PYFORMAT.clear()
        found = _PYFORMAT[sql] = _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
    return found


#: Row types by column names, and by the statements that gave them.
_ROW_TYPES: dict[Any, Any] = {}


def named_rows(cursor: Any, statement: str | None = None) -> list[Any]:
    """The rows of an executed DB-API cursor as named tuples of its columns (every column
    needs a name of its own: alias expressions). ``statement``, the SQL executed, saves
    reading the cursor's description again on the hot paths."""
    fetched = cursor.fetchall()  # first: in psycopg's pipeline mode, the description too
    row_type = _ROW_TYPES.get(statement)
    if row_type is None:
        names = tuple(column[0] for column in cursor.description)
        row_type = _ROW_TYPES.get(names)
        if row_type is None:
            if len(_ROW_TYPES) > 2000:
                _ROW_TYPES.clear()
            row_type = _ROW_TYPES[names] = namedtuple("Row", names)
        if statement is not None:
            _ROW_TYPES[statement] = row_type
    # tuple.__new__ builds each row in C (the class's own __new__ is a Python call)
    return list(map(tuple.__new__, repeat(row_type), fetched))


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_DAY_US = 86_400_000_000
_DAY_PREFIX: dict[int, str] = {}


def sqlite_instant(us: int) -> str:
    """The text :class:`UTCDateTime` stores on SQLite (naive UTC with microseconds) for an
    instant in microseconds since the epoch, so rows written with plain SQL read back
    through the ORM like rows written by it. Ingestion writes thousands a request: the
    date part is cached per day."""
    day, rem = divmod(us, _DAY_US)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        if len(_DAY_PREFIX) > 100_000:
            _DAY_PREFIX.clear()
        prefix = _DAY_PREFIX[day] = dt.date.fromordinal(day + _EPOCH_ORDINAL).isoformat() + " "
    seconds, micro = divmod(rem, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}"


def sqlite_value(value: dt.date) -> str:
    """A date, or an aware datetime, as SQLAlchemy stores it on SQLite (ISO date, or
    :func:`sqlite_instant`), so plain SQL compares it with ORM-written columns."""
    if isinstance(value, dt.datetime):
        return sqlite_instant((value - _EPOCH) // dt.timedelta(microseconds=1))
    return value.isoformat()


def instant_value(value: Any) -> dt.datetime:
    """A :class:`UTCDateTime` column read with plain SQL, as the ORM would return it."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def date_value(value: Any) -> dt.date:
    """A ``Date`` column read with plain SQL: ISO text on SQLite."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def json_value(value: Any) -> Any:
    """A JSON column holding an object or array, read with plain SQL: text on SQLite,
    parsed already by psycopg."""
    return json.loads(value) if isinstance(value, str) else value


class Money(TypeDecorator[Decimal]):
    """Exact decimals. SQLite has no decimal type and would go through float, so there
    the value is stored as text; PostgreSQL stores NUMERIC."""

    impl = Numeric(20, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("money must be a Decimal")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value) if isinstance(value, str) else value


class ExactDecimal(Money):
    """Like :class:`Money` with twelve decimal places, for ratios such as exchange rates
    (1 KES = 0.007739 USD needs more than a currency's minor unit)."""

    impl = Numeric(30, 12)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(30, 12))


#: ``Session.info`` key of the audit chain's HMAC key (set on every session of a
#: :class:`Database`), so the commit hook in :mod:`workforce.audit` can sign without an app.
AUDIT_KEY_INFO = "workforce.audit_key"
#: The longest a request waits for one lock on PostgreSQL (its budget may cut it shorter).
LOCK_WAIT_CEILING_MS = 15000
#: How long opening a PostgreSQL connection may take.
CONNECT_TIMEOUT_SECONDS = 5


class Database:
    """The engine and session factories of one app (and of its replica, if it has one)."""

    def __init__(
        self,
        url: str,
        *,
        audit_key: bytes,
        busy_timeout_ms: int,
        replica_url: str = "",
        replica_max_lag_seconds: float = 30.0,
    ) -> None:
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
            _configure_sqlite(self.engine, busy_timeout_ms)
        else:
            # An unreachable server fails a request in seconds (a 503), not at the worker
            # timeout.
            self.engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=10,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            )
            _configure_postgresql(self.engine)
        # Writers on SQLite begin IMMEDIATE so two writers queue on the busy timeout
        # instead of failing when a read lock cannot be upgraded.
        self.write_engine = self.engine.execution_options(workforce_write=True)
        info = {AUDIT_KEY_INFO: audit_key}
        #: A writer that never waits for a lock (:func:`write_unless_busy`).
        self.nowait_engine = self.write_engine.execution_options(workforce_nowait=True)
        self.reader = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self.writer = sessionmaker(self.write_engine, expire_on_commit=False, info=info)
        #: Where reads that may leave the primary go (``session(replica=True)``), if set.
        self.replica = (
            Replica(normalize_url(replica_url), self.engine, replica_max_lag_seconds, info)
            if replica_url
            else None
        )

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.engine.dispose()


# --- the replica ---------------------------------------------------------------------------
#
# Reports, exports and the exposure view may read a PostgreSQL streaming standby
# (WORKFORCE_REPLICA_DATABASE_URL) while its data is recent enough; everything else reads
# and writes the primary. How recent: the primary's WAL position is read first, then the
# standby's replay position; a standby that has replayed at least that far holds every
# transaction the primary had committed when asked (lag 0, however long the primary has been
# idle, which is what `now() - pg_last_xact_replay_timestamp()` alone gets wrong). A standby
# behind it is as old as the last transaction it replayed (`now() -
# pg_last_xact_replay_timestamp()`, an upper bound). docs/operations.md, "A read replica".

#: How long a measured lag is trusted (per process) before it is measured again, and how
#: long a replica that could not be reached is left alone before it is tried again.
REPLICA_CHECK_SECONDS = 1.0
REPLICA_RETRY_SECONDS = 10.0
#: How long opening a connection to the replica may take (psycopg's least is 2 s).
REPLICA_CONNECT_TIMEOUT_SECONDS = 2
#: The lag query may not take longer than this on the replica (ms).
REPLICA_CHECK_TIMEOUT_MS = 2000

_REPLICA_STATE_SQL = (
    "SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed,"
    " pg_last_wal_receive_lsn()::text AS received,"
    " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8"
    " AS since_replay"
)


def lsn_value(lsn: str | None) -> int | None:
    """A PostgreSQL WAL position (``16/B374D848``) as a number, for comparing."""
    if not lsn:
        return None
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def replica_lag(
    *,
    standby: bool,
    replayed: int | None,
    received: int | None,
    since_replay: float | None,
    primary: int | None,
) -> float | None:
    """A standby's lag in seconds from what it and the primary said, or ``None`` when it
    must not be read: not in recovery (promoted, or a primary: it may diverge), or behind
    with nothing replayed to date it by.

    ``replayed``/``received``: the standby's replay and receive WAL positions;
    ``since_replay``: seconds since the last transaction it replayed committed;
    ``primary``: the primary's WAL position read just before (``None`` if unreachable).
    """
    if not standby:
        return None
    if replayed is not None:
        if primary is not None and replayed >= primary:
            return 0.0  # it holds all the primary had committed when asked
        if primary is None and received is not None and replayed >= received:
            return 0.0  # primary gone: it has replayed everything it was sent
    return None if since_replay is None else max(0.0, since_replay)


@dataclass(frozen=True)
class ReadFrom:
    """Which database a request's reads came from, and the replica's lag then (seconds;
    ``None`` when no replica was measured: none configured, unreachable, or not a standby)."""

    source: str  # "replica" or "primary"
    lag_seconds: float | None

    def fields(self) -> dict[str, Any]:
        """``read_from`` and ``replica_lag_seconds``, as a report's JSON carries them."""
        lag = None if self.lag_seconds is None else round(self.lag_seconds, 3)
        return {"read_from": self.source, "replica_lag_seconds": lag}

    def headers(self) -> dict[str, str]:
        """``Workforce-Read-From`` and (when measured) ``Workforce-Replica-Lag-Seconds``."""
        found = {READ_FROM_HEADER: self.source}
        if self.lag_seconds is not None:
            found[REPLICA_LAG_HEADER] = f"{self.lag_seconds:.3f}"
        return found


READ_FROM_HEADER = "Workforce-Read-From"
REPLICA_LAG_HEADER = "Workforce-Replica-Lag-Seconds"


class Replica:
    """A streaming standby's engine and sessions, and its lag, measured at most once per
    :data:`REPLICA_CHECK_SECONDS` per process (shared by the process's threads)."""

    def __init__(
        self, url: str, primary: Engine, max_lag_seconds: float, info: dict[str, Any]
    ) -> None:
        self.url = url
        self.primary = primary
        self.max_lag_seconds = max_lag_seconds
        self.engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            connect_args={
                "connect_timeout": REPLICA_CONNECT_TIMEOUT_SECONDS,
                # a standby whose host or network goes silent is given up on in seconds,
                # not after the kernel's minutes of retransmissions
                "tcp_user_timeout": REPLICA_CONNECT_TIMEOUT_SECONDS * 1000,
                "keepalives": 1,
                "keepalives_idle": REPLICA_CONNECT_TIMEOUT_SECONDS,
                "keepalives_interval": 1,
                "keepalives_count": 2,
            },
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._lock = threading.Lock()
        self._measured: tuple[float, float | None] | None = None  # (monotonic due, lag)
        self._measuring = False

    def lag(self) -> float | None:
        """The replica's lag in seconds, or ``None`` when it cannot be used (unreachable,
        not a standby, never replayed anything yet, or being measured again by another
        thread): measured, or as measured less than :data:`REPLICA_CHECK_SECONDS` ago. One
        thread measures, outside the lock: a standby that stops answering holds that one
        request, while the others read the primary."""
        with self._lock:
            now = time.monotonic()
            if self._measured is not None and self._measured[0] > now:
                return self._measured[1]
            if self._measuring:
                return None
            self._measuring = True
        lag: float | None = None
        try:
            lag = self._measure()
        finally:
            wait = REPLICA_CHECK_SECONDS if lag is not None else REPLICA_RETRY_SECONDS
            with self._lock:
                self._measured = (time.monotonic() + wait, lag)
                self._measuring = False
        return lag

    def failed(self) -> None:
        """The replica failed a request: read the primary until it is measured again."""
        with self._lock:
            self._measured = (time.monotonic() + REPLICA_RETRY_SECONDS, None)

    def _measure(self) -> float | None:
        primary_lsn: int | None = None
        try:
            with self.primary.connect() as conn:
                primary_lsn = lsn_value(
                    conn.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar()
                )
        except DBAPIError:
            pass  # the primary is down: judge the replica by what it has received
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql(f"SET statement_timeout = {REPLICA_CHECK_TIMEOUT_MS}")
                state = conn.exec_driver_sql(_REPLICA_STATE_SQL).one()
                conn.exec_driver_sql("RESET statement_timeout")
        except DBAPIError:
            return None
        return replica_lag(
            standby=bool(state.standby),
            replayed=lsn_value(state.replayed),
            received=lsn_value(state.received),
            since_replay=state.since_replay,
            primary=primary_lsn,
        )

    def usable_lag(self) -> float | None:
        """The lag if it is under the limit, else ``None``."""
        lag = self.lag()
        return lag if lag is not None and lag <= self.max_lag_seconds else None


def unixepoch(text: str | None) -> int | None:
    """SQLite's ``unixepoch()`` of a stored instant (whole seconds, rounded down), for an
    SQLite older than 3.38, which lacks it."""
    if text is None:
        return None
    return (instant_value(text) - _EPOCH) // dt.timedelta(seconds=1)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions are off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if sqlite3.sqlite_version_info < (3, 38):  # unixepoch() came with 3.38
            dbapi_connection.create_function("unixepoch", 1, unixepoch, deterministic=True)

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # A connection opened while the file was read-only (or the disk failing) stays
        # read-only after the fault is over: treated as a disconnect, it is dropped and
        # the pool opens fresh ones (SQLAlchemy invalidates the whole pool).
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in SQLITE_UNAVAILABLE:
            context.is_disconnect = True  # type: ignore[misc]  # documented as settable

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # Per transaction: the waits of one request add up to its budget at most.
        wait = 0 if options.get("workforce_nowait") else lock_wait_ms(busy_timeout_ms)
        conn.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("workforce_write") else "BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A request's lock waits (rows, the audit chain's lock) end with its budget, as
        # SQLite's busy timeout does: a 503 database_busy (55P03) inside the worker timeout,
        # never a thread held for as long as another transaction lasts. Only writers take
        # locks (reads never wait under MVCC, and pay no extra statement); jobs keep waiting.
        writes = conn.get_execution_options().get("workforce_write")
        if writes and has_request_context() and g.get("db_deadline") is not None:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_wait_ms(LOCK_WAIT_CEILING_MS)}")


def default_sqlite_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'workforce.sqlite3'}"


#: Where the Alembic revisions live (``flask --app workforce db upgrade`` applies them).
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: The fix for a database behind the code, as the user types it.
MIGRATE_COMMAND = "flask --app workforce db upgrade"


def normalize_url(url: str) -> str:
    """``postgres://`` (what many hosts hand out) and a driverless ``postgresql://`` mean
    PostgreSQL through psycopg 3, the one driver installed."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def display_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


@cache
def head_revisions() -> frozenset[str]:
    """The newest revision(s) in ``migrations/versions``: what this code expects."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _revisions(url: str) -> set[str] | str:
    """The revision(s) the database at ``url`` is migrated to, or why it cannot be opened.
    A connection of its own, closed before it returns: nothing is shared with processes
    forked after it (gunicorn's workers)."""
    url = normalize_url(url)
    connect_args = {} if url.startswith("sqlite") else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        return (
            f"cannot open the database {display_url(url)} ({reason}): check "
            "WORKFORCE_DATABASE_URL and that the database is running"
        )
    finally:
        engine.dispose()


def unreachable(url: str) -> str | None:
    """One line saying why the database at ``url`` cannot be opened, or ``None``."""
    current = _revisions(url)
    return current if isinstance(current, str) else None


def schema_problem(url: str) -> str | None:
    """``None`` when the database at ``url`` can be opened and is migrated to this code's
    newest revision; otherwise one line naming the problem and the fix (the CLI and the
    start of gunicorn print it and exit 1)."""
    current = _revisions(url)
    if isinstance(current, str):
        return current
    heads = head_revisions()
    if not current:
        return f"the database is not migrated: run `{MIGRATE_COMMAND}`"
    if current == heads:
        return None
    if current - _known_revisions():
        return (
            f"the database is at revision {', '.join(sorted(current))}, newer than this code "
            f"({', '.join(sorted(heads))}): run the code that migrated it"
        )
    return (
        f"the database is at revision {', '.join(sorted(current))} and this code needs "
        f"{', '.join(sorted(heads))}: run `{MIGRATE_COMMAND}`"
    )


@cache
def _known_revisions() -> frozenset[str]:
    return frozenset(r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions())


def init_app(app: Flask, *, audit_key: bytes) -> Database:
    url = normalize_url(app.config["DATABASE_URL"] or default_sqlite_url(app.instance_path))
    app.config["DATABASE_URL"] = url
    database = Database(
        url,
        audit_key=audit_key,
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        replica_url=app.config.get("REPLICA_DATABASE_URL") or "",
        replica_max_lag_seconds=float(app.config.get("REPLICA_MAX_LAG_SECONDS", 30.0)),
    )
    app.extensions["workforce.db"] = database
    app.after_request(_read_from_headers)
    return database


def _read_from_headers(response: Response) -> Response:
    """An answer whose reads could have come from the replica says where they came from."""
    found: ReadFrom | None = g.get("db_read_from")
    if found is not None:
        for name, value in found.headers().items():
            response.headers.setdefault(name, value)
    return response


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["workforce.db"]


def session(*, write: bool = False, replica: bool = False) -> Session:
    """The session of the current request, opened on first use.

    Safe methods read; anything else is a write transaction (IMMEDIATE on SQLite).
    ``write=True`` makes a GET a writer too, for reads that must record something (an
    audited read); it has to be the request's first call, since a SQLite reader cannot be
    upgraded safely once it has read.

    ``replica=True`` (reports, exports, the exposure view; a GET's first call): the session
    reads the replica when one is set and its lag is within
    ``WORKFORCE_REPLICA_MAX_LAG_SECONDS``, else the primary; :func:`read_from` says which,
    and so does the answer's ``Workforce-Read-From`` header. Writes, eligibility and the
    jobs never ask for it.
    """
    current: Session | None = g.get("db_session")
    if current is None:
        database = get_db()
        writer = write or request.method not in ("GET", "HEAD")
        if replica and not writer:
            return _open_for_reads(database)
        current = g.db_session = (database.writer if writer else database.reader)()
        g.db_session_writes = writer
    elif write and not g.get("db_session_writes"):
        raise RuntimeError("db.session(write=True) must come before the request's first read")
    return current


def _open_for_reads(database: Database) -> Session:
    """The request's session on the replica if it is usable and answers, else the primary's
    (a replica down or hanging costs at most its connect timeout, then
    :data:`REPLICA_RETRY_SECONDS` of reading the primary)."""
    replica = database.replica
    lag = replica.usable_lag() if replica is not None else None
    if replica is not None and lag is not None:
        current = replica.sessions()
        try:
            current.connection()  # a pooled connection is pinged, a new one opened
        except DBAPIError:
            current.close()
            replica.failed()
        else:
            g.db_session, g.db_session_writes = current, False
            g.db_read_from = ReadFrom("replica", lag)
            return current
    return use_primary()


def use_primary() -> Session:
    """The request's reads from the primary from now on (reading the replica ends): for a
    read the replica cannot answer yet, e.g. a row written a moment ago."""
    stale: Session | None = g.pop("db_session", None)
    if stale is not None:
        stale.rollback()
        stale.close()
    database = get_db()
    lag = database.replica.lag() if database.replica is not None else None
    current = g.db_session = database.reader()
    g.db_session_writes = False
    g.db_read_from = ReadFrom("primary", lag)
    return current


def read_from() -> ReadFrom:
    """Where the request's reads came from (:func:`session` with ``replica=True``)."""
    found: ReadFrom | None = g.get("db_read_from")
    return found if found is not None else ReadFrom("primary", None)


#: Attempts for a request whose transaction hit a serialization failure, deadlock or lock.
#: With SQLite's busy timeout per attempt this is a request's budget for waiting on locks:
#: 3 x 5 s, well inside gunicorn's 30 s worker timeout (tests/faults/test_database_faults).
REQUEST_ATTEMPTS = 3


def lock_wait_ms(default_ms: int) -> int:
    """How long a lock may be waited for now: ``default_ms``, cut to what is left of the
    current request's budget (:func:`commit_request`); at least 1 ms (0 means "forever"
    to PostgreSQL's ``lock_timeout``)."""
    deadline: float | None = g.get("db_deadline") if has_request_context() else None
    if deadline is None:
        return default_ms
    return max(1, min(default_ms, int((deadline - time.monotonic()) * 1000)))


def commit_request(view: Callable[[], ResponseReturnValue]) -> Response:
    """Run a view and settle its session: the request's transaction boundary, one for the
    API (:func:`workforce.identity.access.roles`) and the portal (every route of
    :mod:`workforce.portal.web`).

    An answer below 400 commits. A serialization failure or deadlock (PostgreSQL) or a busy
    database (SQLite), in the view or at commit, rolls the transaction back and runs the
    view again from the start, up to REQUEST_ATTEMPTS times and while the request's budget
    for lock waits lasts (:func:`lock_wait_ms`); then the error goes to the error handlers
    (503 ``database_busy``, ``Retry-After``), as does any other. A constraint the commit
    violates is a 409 ``integrity_conflict``. A view that raises or answers 400 or more
    leaves its session to :func:`workforce.http.close_session`, which rolls it back.
    """
    budget = REQUEST_ATTEMPTS * get_db().busy_timeout_ms / 1000
    g.db_deadline = deadline = time.monotonic() + budget
    for attempt in range(1, REQUEST_ATTEMPTS + 1):
        settling = committing = False
        try:
            response = current_app.make_response(view())
            current: Session | None = g.get("db_session")
            if current is not None and response.status_code < 400:
                settling = True
                current.flush()  # a failed flush committed nothing: safe to retry
                committing = True
                current.commit()
            return response
        except IntegrityError as error:
            if not settling:
                raise  # the view's own: a bug, not the client's conflict
            raise Conflict(
                "the change conflicts with existing data", code="integrity_conflict"
            ) from error
        except DBAPIError as error:
            # A dropped connection (SQLite's read-only one, a restarted PostgreSQL) is worth
            # one more attempt on a fresh one, but not if it dropped during COMMIT: the
            # server may have committed, and running the view again could write it twice.
            dropped = error.connection_invalidated and not committing
            retryable = is_concurrency_error(error) or dropped
            spent = time.monotonic() >= deadline
            if attempt == REQUEST_ATTEMPTS or spent or not retryable:
                raise
            stale: Session | None = g.pop("db_session", None)
            if stale is not None:
                stale.rollback()
                stale.close()
            time.sleep(0.05 * attempt * _JITTER.random())
    raise AssertionError("unreachable")


#: How long PostgreSQL may wait for a row lock in :func:`write_unless_busy` (ms).
UNLESS_BUSY_LOCK_TIMEOUT_MS = 100


def write_unless_busy(database: Database, statement: Executable) -> bool:
    """Run ``statement`` in a write transaction of its own unless another writer holds
    the lock it needs: then skip it and answer False, at once.

    For bookkeeping a request does not depend on (a token's ``last_used_at``), so a read
    never waits for a write it does not need, nor fails where only writing fails. SQLite: no
    busy wait for this transaction (``_configure_sqlite``); PostgreSQL: a short lock
    timeout (only a writer of the same row blocks it).
    """
    try:
        with database.nowait_engine.begin() as conn:
            if not database.is_sqlite:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {UNLESS_BUSY_LOCK_TIMEOUT_MS}")
            conn.execute(statement)
        return True
    except DBAPIError as error:
        # a read-only or full disk skips it too: reads still work there
        if not (is_concurrency_error(error) or is_unavailable_error(error)):
            raise
        return False


@contextmanager
def transaction(app: Flask | None = None) -> Iterator[Session]:
    """A write transaction outside a request (commands, jobs): commit or roll back."""
    with get_db(app).writer() as sess, sess.begin():
        yield sess
