"""Ingestion throughput: POST /exposure-events (in-process WSGI) against a raw executemany.

    python bench/ingest.py [--events 200000] [--batch 1000] [--contractors 2000]
                           [--database-url URL] [--layout partitioned|plain|both]

Batches of a realistic mix (queues weighted by tier, 20 % of events naming the contractor
by external_ref, 1 % resent from earlier batches) go through the whole HTTP stack: JSON
parsing, auth, validation, resolution, the bulk insert, roll-ups, runs, the audit row and
the commit. Each API batch is followed by the same rows, already resolved, inserted with
the driver's ``executemany`` (``INSERT ... ON CONFLICT DO NOTHING``, one transaction a
batch) into an identical table in the same database: the baseline. Then a profile of where
the API's time goes, validation against a marshmallow schema, and the memory a 5,000-event
batch takes beyond its request.

On PostgreSQL ``--layout both`` (the default there) makes the same run twice: on
``exposure_events`` as migrations leave it (partitioned by month of ``received_at``), then
on a fresh database where it was swapped for a plain table of the same columns and indexes
(the idempotency keys in ``exposure_event_keys`` either way), and prints the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import random
import time
import tracemalloc
from typing import Any

from common import QUEUE_WEIGHTS, QUEUES, database_url, dispose, fresh_app, seed_workforce
from sqlalchemy import text

from workforce import db

#: The raw events' table (exposure_events, no foreign keys either) without its roll-ups:
#: what a plain bulk insert writes.
BASELINE_DDL = """
    CREATE TABLE bench_raw_events (
        id {id_type} PRIMARY KEY,
        ingest_token_id INTEGER NOT NULL,
        event_id VARCHAR(128) NOT NULL,
        contractor_id INTEGER NOT NULL,
        queue_id INTEGER NOT NULL,
        tier SMALLINT NOT NULL,
        category VARCHAR(32),
        started_at {time_type} NOT NULL,
        duration_seconds INTEGER NOT NULL CHECK (duration_seconds BETWEEN 0 AND 14400),
        items INTEGER NOT NULL,
        received_at {time_type} NOT NULL,
        UNIQUE (ingest_token_id, event_id))"""
BASELINE_TYPES = {
    "sqlite": {"id_type": "INTEGER", "time_type": "DATETIME"},
    "postgresql": {"id_type": "BIGSERIAL", "time_type": "TIMESTAMPTZ"},
}
COLUMNS = (
    "ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at, "
    "duration_seconds, items, received_at"
)


def make_batches(
    world: dict[str, Any], events: int, batch: int, rng: random.Random
) -> list[list[dict[str, Any]]]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    contractors = world["contractors"]
    queues = [q for q, _tier, _cats in QUEUES]
    batches: list[list[dict[str, Any]]] = []
    sent: list[dict[str, Any]] = []
    n = 0
    while n < events:
        body = []
        for _ in range(min(batch, events - n)):
            if sent and rng.random() < 0.01:
                body.append(rng.choice(sent))  # a resend: must count once
            else:
                slug = rng.choices(queues, QUEUE_WEIGHTS)[0]
                _qid, _tier, categories = world["queues"][slug]
                cid = rng.choice(contractors)
                ev: dict[str, Any] = {
                    "event_id": f"evt-{n:09d}-{rng.getrandbits(32):08x}",
                    "queue": slug,
                    "started_at": (now - dt.timedelta(seconds=rng.randint(60, 86400))).isoformat(),
                    "duration_seconds": min(14400, int(rng.lognormvariate(3.5, 0.8))),
                }
                if rng.random() < 0.2:
                    ev["contractor_ref"] = f"ref-{cid}"
                else:
                    ev["contractor_id"] = cid
                if categories:
                    ev["category"] = rng.choice(categories)
                if rng.random() < 0.1:
                    ev["items"] = rng.randint(2, 5)
                body.append(ev)
                sent.append(ev)
            n += 1
        batches.append(body)
    return batches


def baseline_rows(world: dict[str, Any], body: list[dict[str, Any]], dialect: str) -> list[tuple]:
    """The rows the API stores for a batch, resolved beforehand (no cost in the baseline)."""
    received = dt.datetime.now(dt.UTC)
    rows = []
    for ev in body:
        cid = ev.get("contractor_id") or int(ev["contractor_ref"].split("-")[1])
        qid, tier, _cats = world["queues"][ev["queue"]]
        started = dt.datetime.fromisoformat(ev["started_at"])
        if dialect == "sqlite":
            started_v: Any = started.replace(tzinfo=None).isoformat(" ", "microseconds")
            received_v: Any = received.replace(tzinfo=None).isoformat(" ", "microseconds")
        else:
            started_v, received_v = started, received
        rows.append(
            (
                world["token_id"],
                ev["event_id"],
                cid,
                qid,
                tier,
                ev.get("category"),
                started_v,
                ev["duration_seconds"],
                ev.get("items", 1),
                received_v,
            )
        )
    return rows


def raw_insert(raw_conn: Any, dialect: str, rows: list[tuple]) -> None:
    mark = "?" if dialect == "sqlite" else "%s"
    sql = (
        f"INSERT INTO bench_raw_events ({COLUMNS}) VALUES ({', '.join([mark] * 10)}) "
        "ON CONFLICT (ingest_token_id, event_id) DO NOTHING"
    )
    cursor = raw_conn.cursor()
    if dialect == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    cursor.executemany(sql, rows)
    raw_conn.commit()
    cursor.close()


#: (label, module of workforce.exposure.ingest ("" for the package itself), function):
#: the insert is timed in both dialect modules, whichever the database takes.
PHASES = (
    ("validation (validate_events)", "validate", "validate_events"),
    ("resolve contractors + queues (2 queries)", "resolve", "resolve"),
    ("insert raw events (1 statement)", "sqlite", "insert_events"),
    ("insert raw events (1 statement)", "postgresql", "insert_events"),
    ("roll-up aggregation (Python)", "rollup", "aggregate_daily"),
    ("roll-up upsert", "rollup", "upsert_daily"),
    ("per-day roll-up upsert", "rollup", "upsert_contractor_days"),
    ("policy lookup", "", "current_policy"),
    ("runs (read + upsert)", "runs", "update_runs"),
)


def profile(client: Any, headers: dict[str, str], payloads: list[bytes]) -> list[tuple[str, float]]:
    """Wall-clock time per phase: each phase function is wrapped with a timer for these
    requests (a tracing profiler would inflate the Python-heavy phases several times)."""
    from sqlalchemy.orm import Session

    spent: dict[str, float] = {}
    originals: list[tuple[Any, str, Any]] = []

    def timed(name: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        return wrapper

    for label, where, name in PHASES:
        module = importlib.import_module(
            ".".join(filter(None, ("workforce.exposure.ingest", where)))
        )
        originals.append((module, name, getattr(module, name)))
        setattr(module, name, timed(label, getattr(module, name)))
    commit = Session.commit
    Session.commit = timed("commit", commit)  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        for payload in payloads:
            client.post("/api/v1/exposure-events", data=payload, headers=headers)
        total = time.perf_counter() - start
    finally:
        for module, name, func in originals:
            setattr(module, name, func)
        Session.commit = commit  # type: ignore[method-assign]
    shares = [("whole requests", total)]
    shares += [(label, spent.get(label, 0.0)) for label in dict.fromkeys(p[0] for p in PHASES)]
    shares.append(("commit (WAL/fsync, audit row)", spent.get("commit", 0.0)))
    accounted = sum(seconds for _label, seconds in shares[1:])
    shares.append(("the rest: HTTP, JSON parsing, auth, session", total - accounted))
    return shares


def validation_comparison(batch: list[dict[str, Any]]) -> tuple[float, float]:
    from workforce.api.exposure import ExposureEventSchema
    from workforce.exposure.ingest.validate import validate_events

    now = dt.datetime.now(dt.UTC)
    schema = ExposureEventSchema(many=True)
    start = time.perf_counter()
    for _ in range(5):
        validate_events(batch, now)
    fast = (time.perf_counter() - start) / 5
    start = time.perf_counter()
    for _ in range(5):
        schema.load(batch)
    slow = (time.perf_counter() - start) / 5
    return len(batch) / fast, len(batch) / slow


def memory_of_a_big_batch(app: Any, world: dict[str, Any], rng: random.Random) -> float:
    from workforce.exposure.ingest import ingest

    body = make_batches(world, 5000, 5000, rng)[0]
    for n, ev in enumerate(body):
        ev["event_id"] = f"mem-{n}"
    events = json.loads(json.dumps(body))  # the parsed request, as a view receives it
    with app.test_request_context(), db.transaction(app) as session:
        session.execute(text("SELECT 1"))
        tracemalloc.start()
        ingest(session, world["token_id"], events)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 1e6


#: PostgreSQL, ``--layout plain``: ``exposure_events`` as one table again, the same columns,
#: defaults, checks and indexes, the id sequence kept (what partitioning is measured against).
UNPARTITION = (
    "CREATE TABLE exposure_events_plain (LIKE exposure_events INCLUDING DEFAULTS"
    " INCLUDING CONSTRAINTS)",
    "ALTER SEQUENCE exposure_events_id_seq OWNED BY exposure_events_plain.id",
    "DROP TABLE exposure_events",
    "ALTER TABLE exposure_events_plain RENAME TO exposure_events",
    "ALTER TABLE exposure_events ADD CONSTRAINT pk_exposure_events PRIMARY KEY (id)",
    "CREATE INDEX ix_exposure_events_received_at ON exposure_events (received_at)",
)


def run(args: argparse.Namespace, layout: str = "partitioned") -> dict[str, Any]:
    url, label = database_url(args.database_url)
    app = fresh_app(url)
    if url.startswith("postgresql"):
        label = f"{label}, exposure_events {layout}"
        if layout == "plain":
            with db.get_db(app).engine.begin() as conn:
                for statement in UNPARTITION:
                    conn.exec_driver_sql(statement)
    rng = random.Random(11)
    world = seed_workforce(app, args.contractors)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    with db.get_db(app).engine.begin() as conn:
        conn.exec_driver_sql(BASELINE_DDL.format(**BASELINE_TYPES[dialect]))
    batches = make_batches(world, args.events, args.batch, rng)
    payloads = [json.dumps({"events": b}).encode() for b in batches]
    rows = [baseline_rows(world, b, dialect) for b in batches]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"}
    raw_conn = db.get_db(app).engine.raw_connection()
    # warm up both paths (first statements, caches) on a throwaway batch
    warm = make_batches(world, args.batch, args.batch, random.Random(99))[0]
    for ev in warm:
        ev["event_id"] = "warm-" + ev["event_id"]
    client.post("/api/v1/exposure-events", data=json.dumps({"events": warm}), headers=headers)
    raw_insert(raw_conn, dialect, baseline_rows(world, warm, dialect))

    api_time = raw_time = 0.0
    accepted = duplicates = 0
    for payload, batch_rows in zip(payloads, rows, strict=True):
        start = time.perf_counter()
        answer = client.post("/api/v1/exposure-events", data=payload, headers=headers)
        api_time += time.perf_counter() - start
        assert answer.status_code == 200, answer.json
        accepted += answer.json["accepted"]
        duplicates += answer.json["duplicates"]
        start = time.perf_counter()
        raw_insert(raw_conn, dialect, batch_rows)
        raw_time += time.perf_counter() - start
    raw_conn.close()
    total = sum(len(b) for b in batches)
    api_rate, raw_rate = total / api_time, total / raw_time

    # where the time goes: a profile over fresh copies of some batches
    sample = []
    for n, body in enumerate(batches[: min(20, len(batches))]):
        copy = [dict(ev, event_id=f"prof-{n}-{ev['event_id']}") for ev in body]
        sample.append(json.dumps({"events": copy}).encode())
    shares = profile(client, headers, sample)
    fast, slow = validation_comparison(batches[0])
    memory = memory_of_a_big_batch(app, world, rng)
    sizes = {}
    if dialect == "postgresql":  # the idempotency keys' share of the raw events' space
        with db.get_db(app).engine.connect() as conn:
            for table in ("exposure_events", "exposure_event_keys"):
                # a plain table has no partition tree: its own size then
                sizes[table] = conn.exec_driver_sql(
                    "SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) "
                    "FROM pg_partition_tree(%s::regclass)), pg_total_relation_size(%s::regclass))",
                    (table, table),
                ).scalar_one()
    dispose(app)

    print(f"\n== ingest on {label}: {total:,} events in batches of {args.batch:,} ==")
    print(f"accepted {accepted:,}, duplicates {duplicates:,} (resends are ~1 %)")
    print(f"API   POST /exposure-events : {api_rate:>10,.0f} events/s")
    print(f"raw   executemany baseline  : {raw_rate:>10,.0f} events/s")
    print(f"ratio API / raw             : {api_rate / raw_rate:>10.2f}")
    print("where the time goes, 20 batches through the API (seconds, share):")
    whole = shares[0][1]
    for label_, seconds in shares:
        print(f"  {label_:<36} {seconds:7.3f} s  {100 * seconds / whole:5.1f} %")
    print(
        f"validation alone: hand-written {fast:,.0f} events/s, "
        f"marshmallow schema {slow:,.0f} events/s ({fast / slow:.1f}x)"
    )
    print(f"memory: a 5,000-event batch peaks at {memory:.1f} MB beyond its parsed request")
    for table, size in sizes.items():
        print(f"space: {table} with its indexes {size / 2**20:.1f} MB")
    return {
        "database": label,
        "events": total,
        "api_events_per_s": round(api_rate),
        "raw_events_per_s": round(raw_rate),
        "ratio": round(api_rate / raw_rate, 2),
        "memory_mb_5000": round(memory, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--contractors", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--layout",
        choices=("partitioned", "plain", "both"),
        default="both",
        help="PostgreSQL: exposure_events partitioned by month (as migrated), a plain "
        "table, or both in turn with their ratio (the default); SQLite has one plain table",
    )
    args = parser.parse_args(argv)
    url, _label = database_url(args.database_url)
    args.database_url = url  # both runs on the same database (SQLite: one fresh file)
    if not url.startswith("postgresql") or args.layout != "both":
        return run(args, args.layout)
    parted, plain = run(args, "partitioned"), run(args, "plain")
    ratio = parted["api_events_per_s"] / plain["api_events_per_s"]
    print(
        f"\n== partitioned / plain exposure_events, POST /exposure-events: "
        f"{parted['api_events_per_s']:,} / {plain['api_events_per_s']:,} events/s = {ratio:.2f} =="
    )
    return {**parted, "plain_api_events_per_s": plain["api_events_per_s"], "layout_ratio": ratio}


if __name__ == "__main__":
    main()
