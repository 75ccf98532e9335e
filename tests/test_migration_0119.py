"""Migration 0119 fills the per-day roll-up from the roll-ups already stored."""

from __future__ import annotations

import datetime as dt

from alembic import command

from tests.factories import make_contractor
from tests.wellbeing.exposure_helpers import (
    contractor_days,
    event,
    ingest_now,
    ingest_token,
    make_queues,
)
from workforce import create_app, db
from workforce.cli import alembic_config, upgrade

NOW = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)


def test_upgrade_sums_the_stored_rollups_per_contractor_day(tmp_path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "TESTING": True})
    upgrade(app)
    make_queues(app)
    cid = make_contractor(app, timezone="Africa/Nairobi")
    token = ingest_token(app)
    # two days (Nairobi's midnight is 21:00 UTC), three tiers, a break due on tier 3
    bodies = [
        event("a", cid, NOW - dt.timedelta(hours=18), 4000, queue="gore"),
        event("b", cid, NOW - dt.timedelta(hours=10), 900, queue="hate"),
        event("c", cid, NOW - dt.timedelta(hours=9), 600, queue="spam"),
        event("d", cid, NOW - dt.timedelta(hours=8), 300, queue="gore-b"),
    ]
    ingest_now(app, token, bodies, NOW)
    written = contractor_days(app)
    assert len(written) == 2
    command.downgrade(alembic_config(app), "0118")
    upgrade(app)
    assert contractor_days(app) == written
    db.get_db(app).engine.dispose()
