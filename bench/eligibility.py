"""Eligibility latency with a month of exposure, and with ten times the raw events.

    python bench/eligibility.py [--contractors 10000] [--events 3000000] [--days 30]
                                [--checks 2000] [--history 10] [--database-url URL]

The raw events are generated inside the database (a recursive CTE on SQLite,
``generate_series`` on PostgreSQL): every contractor works ``events / contractors / days``
items a day between 08:00 and 20:10 local time on a realistic mix of queues, so no event
crosses local midnight and the roll-ups can be computed from the raw events with one
``GROUP BY`` -- they are exactly what ingestion would have produced. Then ``--checks``
random (contractor, queue) pairs are asked, in process, exactly as the API view does
(load the contractor, the queue by slug, ``eligibility.check``), each in its own session,
beside a baseline in the same run: loading the contractor by primary key alone.

The history step adds ``history - 1`` more copies of the month, further back (other ingest
tokens, earlier days, with their roll-ups), and measures again: the raw events and the
roll-ups grow tenfold, eligibility must not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from typing import Any

from common import (
    QUEUE_WEIGHTS,
    QUEUES,
    ZONES,
    database_url,
    describe,
    dispose,
    fresh_app,
    seed_workforce,
)
from common import percentile as pct
from sqlalchemy import text

from workforce import db

#: Fixed UTC offsets of bench.common.ZONES, in minutes (none observes DST).
OFFSETS = {
    "Africa/Nairobi": 180,
    "Asia/Manila": 480,
    "America/Bogota": -300,
    "Asia/Kolkata": 330,
    "Africa/Lagos": 60,
    "Asia/Jakarta": 420,
}


def seed(app: Any, contractors: int) -> dict[str, Any]:
    """Contractors with zones in a fixed rotation (so SQL knows each offset) and queues."""
    world = seed_workforce(app, contractors, zone_of=lambda n: ZONES[(n - 1) % len(ZONES)])
    with app.test_request_context(), db.transaction(app) as session:
        session.execute(text("CREATE TABLE bench_zone (cid INTEGER PRIMARY KEY, minutes INTEGER)"))
        session.execute(
            text("INSERT INTO bench_zone (cid, minutes) VALUES (:cid, :minutes)"),
            [{"cid": cid, "minutes": OFFSETS[zone]} for cid, zone in world["zones"].items()],
        )
    return world["queues"]


def _queue_case(queues: dict[str, Any], column: str, expr: str) -> str:
    """A CASE picking each queue's id / tier / first category with QUEUE_WEIGHTS."""
    parts, bound = [], 0
    for (slug, tier, categories), weight in zip(QUEUES, QUEUE_WEIGHTS, strict=True):
        bound += weight
        value = {
            "id": str(queues[slug][0]),
            "tier": str(tier),
            "category": f"'{categories[0]}'" if categories else "NULL",
        }[column]
        parts.append(f"WHEN {expr} < {bound} THEN {value}")
    return "CASE " + " ".join(parts) + " END"


def _bulk_load(session: Any) -> None:
    """Generated rows reference contractors and queues that exist by construction: skip the
    per-row foreign-key triggers while bulk loading them on PostgreSQL (as pg_restore does)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))


def generate(app: Any, queues: dict[str, Any], a: argparse.Namespace, base: dt.date) -> float:
    """``a.events`` raw events over ``a.days`` local days ending ``base``; returns seconds."""
    per_day = max(1, a.events // (a.contractors * a.days))
    total = a.contractors * a.days * per_day
    c, window = a.contractors, 12 * 3600 // per_day
    pick = "((n * 37) % 100)"
    cols = (
        "ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at, "
        "duration_seconds, items, received_at"
    )
    start = time.perf_counter()
    with db.transaction(app) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        _bulk_load(session)
        # local seconds since local midnight of the event's day; the offset makes it UTC
        local = f"(8 * 3600 + ((n / {c}) % {per_day}) * {window} + (n * 7919) % {window})"
        day = f"((n / {c}) / {per_day})"
        if postgres:
            started = (
                f"(timestamp '{base.isoformat()}' - make_interval(days => ({day})::int) "
                f"+ make_interval(secs => {local}) - make_interval(mins => z.minutes)) "
                "AT TIME ZONE 'UTC'"
            )
            source = f"generate_series(0::bigint, {total - 1}) AS n"
            prefix = ""
        else:
            started = (
                f"strftime('%Y-%m-%d %H:%M:%S', unixepoch('{base.isoformat()}') - {day} * 86400 "
                f"+ {local} - z.minutes * 60, 'unixepoch') || '.000000'"
            )
            prefix = (
                "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq "
                f"WHERE n < {total - 1}) "
            )
            source = "seq"
        session.execute(
            text(
                f"{prefix}INSERT INTO exposure_events ({cols}) "
                f"SELECT 1, 'evt-' || n, (n % {c}) + 1, {_queue_case(queues, 'id', pick)}, "
                f"{_queue_case(queues, 'tier', pick)}, {_queue_case(queues, 'category', pick)}, "
                f"{started}, 30 + (n * 104729) % 570, 1, {started} "
                f"FROM {source} JOIN bench_zone z ON z.cid = (n % {c}) + 1"
                + (" WHERE true" if not postgres else "")
            )
        )
    return time.perf_counter() - start


def add_history(app: Any, copies: int, days: int) -> float:
    """Copies 2..``copies`` of the month, each ``days`` further back, under other tokens."""
    start = time.perf_counter()
    with db.transaction(app) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        _bulk_load(session)
        cols = (
            "ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at, "
            "duration_seconds, items, received_at"
        )
        for k in range(1, copies):
            if postgres:
                shifted = f"started_at - interval '{days * k} days'"
            else:
                shifted = (
                    f"strftime('%Y-%m-%d %H:%M:%S', started_at, '-{days * k} days') || '.000000'"
                )
            session.execute(
                text(
                    f"INSERT INTO exposure_events ({cols}) SELECT {1 + k}, event_id, "
                    f"contractor_id, queue_id, tier, category, {shifted}, duration_seconds, "
                    f"items, received_at FROM exposure_events WHERE ingest_token_id = 1"
                )
            )
    return time.perf_counter() - start


def roll_up(app: Any, tokens: str) -> None:
    """The roll-ups of the raw events of ``tokens``, from one GROUP BY."""
    with db.transaction(app) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        _bulk_load(session)
        if postgres:
            local_day = (
                "((e.started_at AT TIME ZONE 'UTC') + z.minutes * interval '1 minute')::date"
            )
        else:
            local_day = "date(e.started_at, printf('%+d minutes', z.minutes))"
        session.execute(
            text(
                "INSERT INTO exposure_daily (contractor_id, local_day, tier, category, queue_id, "
                f"seconds, items, events) SELECT e.contractor_id, {local_day}, e.tier, "
                "e.category, e.queue_id, SUM(e.duration_seconds), SUM(e.items), COUNT(*) "
                "FROM exposure_events e JOIN bench_zone z ON z.cid = e.contractor_id "
                f"WHERE e.tier >= 1 AND e.ingest_token_id {tokens} GROUP BY 1, 2, 3, 4, 5"
            )
        )


def add_runs(app: Any) -> None:
    """A current run for everyone (its values do not change the cost of a check)."""
    now = db.utcnow()
    end = int(now.timestamp() * 1_000_000) - 3_600_000_000
    with db.transaction(app) as session:
        session.execute(
            text(
                "INSERT INTO exposure_runs (contractor_id, tier1_start_us, tier1_end_us, "
                "tier2_start_us, tier2_end_us, tier3_start_us, tier3_end_us) "
                f"SELECT id, {end - 3_000_000_000}, {end}, {end - 2_000_000_000}, {end}, "
                f"{end - 1_000_000_000}, {end} FROM contractors"
            )
        )


def counts(app: Any) -> tuple[int, int]:
    with db.get_db(app).reader() as session:
        raw = session.scalar(text("SELECT COUNT(*) FROM exposure_events")) or 0
        rolled = session.scalar(text("SELECT COUNT(*) FROM exposure_daily")) or 0
    return raw, rolled


def measure(app: Any, a: argparse.Namespace, rng: random.Random) -> dict[str, list[float]]:
    from workforce.contractors.models import Contractor
    from workforce.contractors.services import get_contractor
    from workforce.eligibility import check as eligibility
    from workforce.exposure.standing import standing

    database = db.get_db(app)
    slugs = [slug for slug, _tier, _cats in QUEUES]
    pairs = [(rng.randint(1, a.contractors), rng.choice(slugs)) for _ in range(a.checks)]
    checks, exposure, baseline = [], [], []
    reasons = 0
    with app.app_context():
        for cid, slug in pairs[:50]:  # warm caches and connections
            with database.reader() as session:
                eligibility.check_by_slug(session, cid, slug, db.utcnow())
        for cid, slug in pairs:
            start = time.perf_counter()
            with database.reader() as session:
                answer = eligibility.check_by_slug(session, cid, slug, db.utcnow())
            checks.append(time.perf_counter() - start)
            reasons += bool(answer.reasons)
            with database.reader() as session:
                contractor = get_contractor(session, cid)
                start = time.perf_counter()
                standing(session, contractor, db.utcnow())
                exposure.append(time.perf_counter() - start)
            start = time.perf_counter()
            with database.reader() as session:
                session.get(Contractor, cid)
            baseline.append(time.perf_counter() - start)
    return {
        "check": checks,
        "exposure": exposure,
        "baseline": baseline,
        "denied": [reasons / len(pairs)],
    }


def run(a: argparse.Namespace) -> dict[str, Any]:
    url, label = database_url(a.database_url)
    app = fresh_app(url)
    rng = random.Random(5)
    base = dt.datetime.now(dt.UTC).date()
    queues = seed(app, a.contractors)
    took = generate(app, queues, a, base)
    roll_up(app, "= 1")
    add_runs(app)
    raw1, rolled1 = counts(app)
    first = measure(app, a, rng)
    results = [("1x", raw1, rolled1, first)]
    history_took = 0.0
    if a.history > 1:
        history_took = add_history(app, a.history, a.days)
        roll_up(app, "> 1")
        rawn, rolledn = counts(app)
        results.append((f"{a.history}x", rawn, rolledn, measure(app, a, rng)))
    dispose(app)

    print(f"\n== eligibility on {label}: {a.contractors:,} contractors, {a.days} days ==")
    print(f"generated {raw1:,} raw events in {took:.0f} s; history copies in {history_took:.0f} s")
    summary: dict[str, Any] = {"database": label}
    for name, raw, rolled, m in results:
        p99 = pct(m["check"], 99)
        base_p99 = pct(m["baseline"], 99)
        print(f"{name:>4}: {raw:>11,} raw events, {rolled:>9,} roll-up rows")
        print(f"      eligibility, as the API view  : {describe(m['check'])}")
        print(f"      of which exposure limits     : {describe(m['exposure'])}")
        print(f"      baseline: contractor by PK   : {describe(m['baseline'])}")
        print(
            f"      p99 ratio check / baseline   : {p99 / base_p99:.1f}   "
            f"(denied {100 * m['denied'][0]:.0f} %)"
        )
        summary[name] = {
            "raw_events": raw,
            "rollup_rows": rolled,
            "p50_ms": round(pct(m["check"], 50) * 1000, 2),
            "p99_ms": round(p99 * 1000, 2),
            "exposure_p50_ms": round(pct(m["exposure"], 50) * 1000, 2),
            "exposure_p99_ms": round(pct(m["exposure"], 99) * 1000, 2),
            "baseline_p99_ms": round(base_p99 * 1000, 2),
        }
    if len(results) > 1:
        growth = pct(results[1][3]["check"], 99) / pct(results[0][3]["check"], 99)
        part = pct(results[1][3]["exposure"], 99) / pct(results[0][3]["exposure"], 99)
        print(
            f"p99 at {a.history}x the raw events / p99 at 1x: {growth:.2f} "
            f"(exposure limits alone: {part:.2f})"
        )
        summary["growth"] = round(growth, 2)
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--history", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
