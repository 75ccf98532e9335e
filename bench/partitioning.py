"""What monthly partitioning of ``exposure_events`` buys on PostgreSQL, measured.

Two copies of the table's shape with the same rows: a plain table with the retention
index on ``started_at`` (what migrations create), and one partitioned by month of
``started_at``. Removing the oldest month is timed both ways: the retention job's batched
``DELETE`` on the plain table against ``DETACH`` + ``DROP`` of the month's partition, and
the space each leaves behind. Needs a PostgreSQL URL (``scripts/with-postgres`` provides one):

    scripts/with-postgres .venv/bin/python bench/partitioning.py --rows-per-month 1000000
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg

MONTHS = ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01")
COLUMNS = """
    id bigint NOT NULL,
    ingest_token_id integer NOT NULL,
    event_id varchar(128) NOT NULL,
    contractor_id integer NOT NULL,
    queue_id integer NOT NULL,
    tier smallint NOT NULL,
    category varchar(32),
    started_at timestamptz NOT NULL,
    duration_seconds integer NOT NULL,
    items integer NOT NULL,
    received_at timestamptz NOT NULL
"""
FILL = """
INSERT INTO {table}
SELECT n, 1, 'e' || n, 1 + n % 30000, 1 + n % 7, 1 + n % 3, 'violence_gore',
       timestamptz '{start}' + (n % {rows}) * interval '1 month' / {rows}, 60 + n % 600, 1,
       timestamptz '{start}' + (n % {rows}) * interval '1 month' / {rows}
FROM generate_series({first}, {last}) AS n
"""


def timed(conn: psycopg.Connection, sql: str) -> float:
    started = time.perf_counter()
    conn.execute(sql)
    return time.perf_counter() - started


def size(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-month", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000, help="rows per DELETE")
    args = parser.parse_args()
    url = os.environ["WORKFORCE_TEST_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    rows = args.rows_per_month
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS plain_events, part_events CASCADE")
        conn.execute(f"CREATE TABLE plain_events ({COLUMNS}, PRIMARY KEY (id))")
        conn.execute(
            f"CREATE TABLE part_events ({COLUMNS}, PRIMARY KEY (id, started_at))"
            " PARTITION BY RANGE (started_at)"
        )
        for i, start in enumerate(MONTHS):
            end = MONTHS[i + 1] if i + 1 < len(MONTHS) else "2026-05-01"
            conn.execute(
                f"CREATE TABLE part_events_{i} PARTITION OF part_events"
                f" FOR VALUES FROM ('{start}') TO ('{end}')"
            )
        for table in ("plain_events", "part_events"):
            for i, start in enumerate(MONTHS):
                first = i * rows
                conn.execute(
                    FILL.format(
                        table=table, start=start, rows=rows, first=first, last=first + rows - 1
                    )
                )
            conn.execute(f"CREATE UNIQUE INDEX ON {table} (ingest_token_id, event_id, started_at)")
            conn.execute(f"CREATE INDEX ON {table} (started_at)")
            conn.execute(f"VACUUM ANALYZE {table}")
        plain_before = size(conn, "plain_events")
        part_before = sum(size(conn, f"part_events_{i}") for i in range(len(MONTHS)))

        cutoff = MONTHS[1]
        started, deleted = time.perf_counter(), 0
        while True:
            cur = conn.execute(
                "DELETE FROM plain_events WHERE id IN (SELECT id FROM plain_events"
                f" WHERE started_at < '{cutoff}' ORDER BY started_at LIMIT {args.batch})"
            )
            deleted += cur.rowcount
            if cur.rowcount < args.batch:
                break
        delete_seconds = time.perf_counter() - started
        plain_after = size(conn, "plain_events")
        vacuum_seconds = timed(conn, "VACUUM plain_events")
        plain_vacuumed = size(conn, "plain_events")

        started = time.perf_counter()
        conn.execute("ALTER TABLE part_events DETACH PARTITION part_events_0")
        conn.execute("DROP TABLE part_events_0")
        drop_seconds = time.perf_counter() - started
        part_after = sum(size(conn, f"part_events_{i}") for i in range(1, len(MONTHS)))

        mb = 1024 * 1024
        print(f"{len(MONTHS)} months x {rows:,} rows; oldest month removed ({deleted:,} rows)")
        print(
            f"plain table, batched DELETE ({args.batch:,} rows each): {delete_seconds:.2f} s"
            f" + VACUUM {vacuum_seconds:.2f} s; size {plain_before / mb:.0f} MB ->"
            f" {plain_after / mb:.0f} MB after DELETE, {plain_vacuumed / mb:.0f} MB after VACUUM"
            " (freed space is reused, not returned)"
        )
        print(
            f"partitioned table, DETACH + DROP PARTITION: {drop_seconds * 1000:.1f} ms;"
            f" size {part_before / mb:.0f} MB -> {part_after / mb:.0f} MB"
        )
        conn.execute("DROP TABLE plain_events, part_events CASCADE")


if __name__ == "__main__":
    main()
