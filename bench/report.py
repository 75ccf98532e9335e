"""The exposure report by country and week: the API against a hand-written SQL GROUP BY.

    python bench/report.py [--contractors 10000] [--days 30] [--events 3000000]
                           [--repeat 5] [--database-url URL]

The report reads only the roll-ups, so the benchmark writes those directly, with one
bulk ``INSERT ... SELECT`` shaped like what ingestion would produce from ``--events`` events
spread evenly over contractors and days with bench/common.py's queue mix: per contractor-day
``events // (contractors x days)`` events, one row per queue of tier >= 1 that got some (a
tier-0 event is never rolled up), each row ``events x (30..599)`` seconds, and on tier-3
rows a break due now and then, some missed. Going through the ingest API instead would take
~7 minutes per million events on this machine (docs/benchmarks.md) and measure nothing more
about the report. The per-day roll-up (``contractor_days``, what the report reads for
country x week) is then summed from them as ingestion would have kept it.

Then, ``--repeat`` times each, in the same process and database: ``GET /reports/exposure
?group_by=country,week`` through the in-process API as a compliance token (parsing, the
service, suppression, the evidence envelope and hash, storing the run, JSON), and two
baselines: one ``SELECT country, week, COUNT(DISTINCT contractor), SUM(seconds) ... GROUP BY``
over ``contractor_days`` (the table the report reads) and the same over ``exposure_daily``.
Best-of-n times and the ratios are printed; the target ratio is against the first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from common import QUEUE_WEIGHTS, QUEUES, database_url, dispose, fresh_app, seed_workforce
from sqlalchemy import text

from workforce import db
from workforce.exposure.ingest import rebuild_contractor_days
from workforce.identity.access import create_token

COUNTRIES = ("KE", "PH", "CO", "IN", "NG", "ID", "GH", "UG", "VN", "MX")


def _mix(events_per_day: int) -> list[tuple[str, int, str, int, int]]:
    """(slug, tier, category, events on even days, events on odd days): QUEUE_WEIGHTS
    turned into whole events a day, a fraction alternating between even and odd days."""
    total = sum(QUEUE_WEIGHTS)
    rows = []
    for (slug, tier, categories), weight in zip(QUEUES, QUEUE_WEIGHTS, strict=True):
        share = events_per_day * weight / total
        low = int(share)
        high = low + (1 if share - low >= 0.5 else 0)
        if tier >= 1:
            rows.append((slug, tier, categories[0], high, low))
    return rows


def load_rollups(app: Any, queues: dict[str, Any], a: argparse.Namespace, first: dt.date) -> float:
    """Roll-up rows for every contractor x day x queue with events; returns seconds taken."""
    per_day = max(1, a.events // (a.contractors * a.days))
    mix = _mix(per_day)
    values = ", ".join(
        f"({queues[slug][0]}, {tier}, '{category}', {even}, {odd})"
        for slug, tier, category, even, odd in mix
    )
    start = time.perf_counter()
    with db.transaction(app) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text("SET LOCAL session_replication_role = replica"))  # no FK checks
            day = f"(date '{first.isoformat()}' + d.n)"
        else:
            day = f"date('{first.isoformat()}', '+' || d.n || ' days')"
        events = "(CASE WHEN d.n % 2 = 0 THEN m.even ELSE m.odd END)"
        seconds = f"{events} * (30 + (c.id * 7 + d.n * 13 + m.queue_id * 3) % 570)"
        session.execute(
            text(
                f"WITH RECURSIVE days(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM days "
                f"WHERE n < {a.days - 1}), "
                f"mix(queue_id, tier, category, even, odd) AS (VALUES {values}) "
                "INSERT INTO exposure_daily (contractor_id, local_day, tier, category, queue_id, "
                "seconds, items, events, breaks_due, breaks_missed) "
                f"SELECT c.id, {day}, m.tier, m.category, m.queue_id, {seconds}, {events}, "
                f"{events}, CASE WHEN m.tier = 3 AND (c.id + d.n) % 3 = 0 THEN 1 ELSE 0 END, "
                "CASE WHEN m.tier = 3 AND (c.id + d.n) % 9 = 0 THEN 1 ELSE 0 END "
                f"FROM contractors c CROSS JOIN days d CROSS JOIN mix m WHERE {events} > 0"
            )
        )
        rebuild_contractor_days(session)  # what ingestion keeps beside them
        if postgres:
            session.execute(text("ANALYZE exposure_daily"))
            session.execute(text("ANALYZE contractor_days"))
        else:
            session.execute(text("ANALYZE"))
    return time.perf_counter() - start


def baseline_sql(postgres: bool, table: str) -> str:
    """Country x week: distinct contractors and seconds, from ``exposure_daily`` or
    ``contractor_days`` (whose ``tier1_seconds`` is the day's tier >= 1 total)."""
    week = (
        "date_trunc('week', d.local_day)::date"
        if postgres
        else "date(d.local_day, 'weekday 0', '-6 days')"
    )
    seconds = "seconds" if table == "exposure_daily" else "tier1_seconds"
    return (
        f"SELECT c.country, {week} AS week, COUNT(DISTINCT d.contractor_id), SUM(d.{seconds}) "
        f"FROM {table} d JOIN contractors c ON c.id = d.contractor_id "
        "WHERE d.local_day >= :start AND d.local_day <= :end GROUP BY 1, 2"
    )


def run(a: argparse.Namespace) -> dict[str, Any]:
    url, label = database_url(a.database_url)
    app = fresh_app(url)
    seeded = seed_workforce(app, a.contractors, countries=COUNTRIES)
    first = dt.date(2026, 10, 1)
    last = first + dt.timedelta(days=a.days - 1)
    took = load_rollups(app, seeded["queues"], a, first)
    with app.test_request_context(), db.transaction(app) as session:
        _token, raw = create_token(session, name="bench compliance", role="compliance")
        rows = session.scalar(text("SELECT COUNT(*) FROM exposure_daily")) or 0
        events = session.scalar(text("SELECT SUM(events) FROM exposure_daily")) or 0
        postgres = session.get_bind().dialect.name == "postgresql"
    client = app.test_client()
    query = f"/api/v1/reports/exposure?from={first}&to={last}&group_by=country,week"
    headers = {"Authorization": f"Bearer {raw}"}
    baselines = {
        table: text(baseline_sql(postgres, table))
        for table in ("contractor_days", "exposure_daily")
    }
    api: list[float] = []
    base: dict[str, list[float]] = {table: [] for table in baselines}
    groups = 0
    for _ in range(a.repeat):
        start = time.perf_counter()
        response = client.get(query, headers=headers)
        api.append(time.perf_counter() - start)
        assert response.status_code == 200, response.json
        groups = len(response.json["rows"])
        for table, sql in baselines.items():
            start = time.perf_counter()
            with db.get_db(app).reader() as session:
                found = session.execute(sql, {"start": first, "end": last}).all()
            base[table].append(time.perf_counter() - start)
            assert len(found) == groups, (table, len(found), groups)
    dispose(app)
    best_api = min(api)
    best = {table: min(times) for table, times in base.items()}
    print(f"\n== exposure report on {label}: {a.contractors:,} contractors, {a.days} days ==")
    print(f"roll-ups for {events:,} events (tier >= 1): {rows:,} rows, loaded in {took:.1f} s")
    print(f"report groups (country x week)  : {groups}")
    print(
        f"API GET /reports/exposure       : best {best_api:.3f} s, "
        f"median {statistics.median(api):.3f} s"
    )
    for table, times in base.items():
        print(
            f"SQL GROUP BY over {table:<15}: best {best[table]:.3f} s, "
            f"median {statistics.median(times):.3f} s, "
            f"API / SQL {best_api / best[table]:.2f}"
        )
    return {
        "database": label,
        "contractors": a.contractors,
        "days": a.days,
        "rollup_rows": rows,
        "events_rolled_up": events,
        "groups": groups,
        "api_s": round(best_api, 3),
        # the baseline over the table the report reads; and over the detailed roll-ups
        "sql_s": round(best["contractor_days"], 3),
        "ratio": round(best_api / best["contractor_days"], 2),
        "sql_exposure_daily_s": round(best["exposure_daily"], 3),
        "ratio_exposure_daily": round(best_api / best["exposure_daily"], 2),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
