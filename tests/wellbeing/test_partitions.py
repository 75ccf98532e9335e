"""Monthly partitions of ``exposure_events`` on PostgreSQL (docs/scaling.md, "Monthly
partitions"): migration 0195 converts a filled table without losing or doubling a row, the
idempotency key holds across a month boundary, the scheduler's job creates months ahead and
empties the default partition (readiness complains until it does), and retention drops
whole months. The pure month arithmetic is checked on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import PG_URL
from tests.wellbeing.exposure_helpers import (
    consent,
    daily,
    event,
    ingest_now,
    ingest_token,
    make_queues,
    raw_count,
)
from workforce import create_app, db
from workforce.cli import alembic_config, upgrade
from workforce.exposure import partitions
from workforce.jobs.definitions import Job, all_jobs
from workforce.jobs.runner import run_job

UTC = dt.UTC
DAY = dt.timedelta(days=1)
#: ``exposure_events`` on PostgreSQL only: SQLite keeps one plain table.
postgresql_only = pytest.mark.skipif(
    not PG_URL,
    reason="partitions are PostgreSQL's (SQLite keeps one plain table): "
    "run with scripts/with-postgres or make test",
)
CHECKSUM = (
    "SELECT count(*), md5(string_agg(concat_ws('|', id, ingest_token_id, event_id, "
    "contractor_id, queue_id, tier, category, started_at, duration_seconds, items, modality, "
    "mitigations, received_at), ',' ORDER BY id)) FROM exposure_events"
)


def job(app: Any, job_id: str) -> Job:
    return next(j for j in all_jobs(app.config) if j.id == job_id)


def sql(app: Any, statement: str, **params: Any) -> list[Any]:
    with db.transaction(app) as session:
        result = session.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []


def partition_names(app: Any) -> list[str]:
    with db.get_db(app).reader() as session:
        return [p.name for p in partitions.monthly_partitions(session)]


@given(st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(9998, 1, 1)))
def test_every_instant_falls_in_exactly_one_month_partition(naive: dt.datetime) -> None:
    instant = naive.replace(tzinfo=UTC)
    part = partitions.partition_of(instant.date())
    assert part.start <= instant.date() < part.end
    assert part.start.day == 1 and part.end.day == 1
    # the next partition starts where this one ends: no gap, no overlap
    assert partitions.partition_of(part.end).start == part.end
    assert partitions.partition_of(part.start - DAY).end == part.start
    assert part.name == f"exposure_events_p{instant:%Y_%m}"


@postgresql_only
def test_migration_converts_a_filled_table_without_losing_or_doubling_a_row(
    app, new_contractor
) -> None:
    make_queues(app)
    token = ingest_token(app)
    who = new_contractor()
    consent(app, who)
    [(queue_id,)] = sql(app, "SELECT id FROM queues WHERE slug = 'gore'")
    migrator = create_app({"DATABASE_URL": app.config["DATABASE_URL"]})
    command.downgrade(alembic_config(migrator), "0181")
    db.get_db(migrator).dispose()
    now = db.utcnow().replace(microsecond=0)
    # 6,000 events over the last five months, the last one a second before this month
    month = partitions.month_start(now)
    boundary = dt.datetime.combine(month, dt.time(), tzinfo=UTC) - dt.timedelta(seconds=1)
    sql(
        app,
        "INSERT INTO exposure_events (ingest_token_id, event_id, contractor_id, queue_id, tier,"
        " category, started_at, duration_seconds, items, modality, mitigations, received_at)"
        " SELECT :token, 'e-' || n, :who, :queue, 3, 'violence_gore',"
        " CAST(:boundary AS timestamptz) - n * interval '37 minutes', 60, 1, 'video', 'none',"
        " CAST(:boundary AS timestamptz) - n * interval '37 minutes'"
        " FROM generate_series(0, 5999) AS n",
        token=token,
        who=who,
        queue=queue_id,
        boundary=boundary,
    )
    before = sql(app, CHECKSUM)
    upgrade(migrator)
    db.get_db(migrator).dispose()

    assert sql(app, CHECKSUM) == before
    assert before[0][0] == 6000
    with db.get_db(app).reader() as session:
        assert partitions.is_partitioned(session)
        assert partitions.default_partition_rows(session) == 0
    names = partition_names(app)
    assert partitions.partition_of(boundary.date()).name in names
    assert partitions.partition_of(boundary.date() - 150 * DAY).name in names
    [(keys,)] = sql(app, "SELECT count(*) FROM exposure_event_keys")
    assert keys == 6000
    # new ids follow the old ones (the sequence moved over)
    fresh = ingest_now(app, token, [event("after", who, now - DAY, 60)], now=now)
    assert fresh.accepted == 1
    [(new_id,)] = sql(app, "SELECT id FROM exposure_events WHERE event_id = 'after'")
    [(old_max,)] = sql(app, "SELECT max(id) FROM exposure_events WHERE event_id <> 'after'")
    assert new_id > old_max
    # a retry this month of the event received a second before it: still a duplicate
    retried = ingest_now(
        app,
        token,
        [
            event("e-0", who, boundary, 60),
            event("e-4000", who, boundary - 4000 * dt.timedelta(minutes=37), 60),
        ],
        now=now,
    )
    assert (retried.accepted, retried.duplicates) == (0, 2)
    assert raw_count(app) == 6001


@postgresql_only
def test_a_retry_across_the_month_boundary_is_a_duplicate(app, new_contractor) -> None:
    make_queues(app)
    token = ingest_token(app)
    who = new_contractor()
    consent(app, who)
    month = dt.datetime.combine(partitions.month_start(db.utcnow()), dt.time(), tzinfo=UTC)
    before = month - dt.timedelta(seconds=2)
    first = ingest_now(app, token, [event("edge", who, before - DAY, 600)], now=before)
    retried = ingest_now(app, token, [event("edge", who, before - DAY, 600)], now=month)
    other = ingest_token(app, name="other platform")
    theirs = ingest_now(app, other, [event("edge", who, before - DAY, 600)], now=month)
    assert (first.accepted, retried.accepted, retried.duplicates) == (1, 0, 1)
    assert theirs.accepted == 1  # event ids are unique per ingest token
    assert raw_count(app) == 2


@postgresql_only
def test_the_job_creates_months_ahead_and_empties_the_default_partition(
    app, client, new_contractor
) -> None:
    make_queues(app)
    token = ingest_token(app)
    who = new_contractor()
    consent(app, who)
    now = db.utcnow().replace(microsecond=0)
    far = now + 200 * DAY  # a month no partition was made for
    ingest_now(app, token, [event(f"far-{i}", who, far - i * DAY, 300) for i in range(3)], now=far)
    rollups = daily(app)
    [(stray,)] = sql(app, "SELECT count(*) FROM exposure_events_default")
    assert stray == 3  # all received in that month
    ready = client.get("/api/v1/health/ready").json
    assert ready["status"] == "degraded"
    assert ready["checks"]["exposure_partitions"]["ok"] is False
    assert "default partition" in ready["checks"]["exposure_partitions"]["detail"]

    result = run_job(app, job(app, "exposure-partitions"), far)
    assert result.effects["partitions_created"] >= 1
    assert partitions.partition_of(far.date()).name in partition_names(app)
    assert partitions.partition_of((far + 62 * DAY).date()).name in partition_names(app)
    assert sql(app, "SELECT count(*) FROM exposure_events_default") == [(0,)]
    assert raw_count(app) == 3 and daily(app) == rollups
    assert "exposure_partitions" not in client.get("/api/v1/health/ready").json["checks"]
    # idempotent: a second run creates nothing; the keys still find the moved events
    assert run_job(app, job(app, "exposure-partitions"), far).effects == {"partitions_created": 0}
    again = ingest_now(app, token, [event("far-0", who, far, 300)], now=far + DAY)
    assert (again.accepted, again.duplicates) == (0, 1)


@postgresql_only
def test_retention_drops_whole_months_and_their_keys(app, new_contractor) -> None:
    make_queues(app)
    token = ingest_token(app)
    who = new_contractor()
    consent(app, who)
    now = db.utcnow().replace(microsecond=0)
    old = now - 150 * DAY
    ingest_now(app, token, [event(f"old-{i}", who, old - i * DAY, 300) for i in range(3)], now=old)
    run_job(app, job(app, "exposure-partitions"), now)
    ingest_now(app, token, [event("today", who, now - DAY, 300)], now=now)
    rollups = daily(app)
    old_part = partitions.partition_of(old.date()).name
    assert old_part in partition_names(app)

    retention = job(app, "exposure-event-retention")  # 90 days
    effects = run_job(app, retention, now).effects
    assert effects["partitions_dropped"] >= 1 and effects["events_deleted"] == 0
    assert old_part not in partition_names(app)
    assert partitions.partition_of(now.date()).name in partition_names(app)
    assert raw_count(app) == 1 and daily(app) == rollups
    assert sql(app, "SELECT event_id FROM exposure_event_keys") == [("today",)]
    # the month holding the cutoff stays whole until all of it is past the age
    cutoff_month = partitions.partition_of((now - 90 * DAY).date())
    if cutoff_month.start > (old + DAY).date():
        assert cutoff_month.name in partition_names(app)
