"""Migration 0121 moves the breach key into a uniquely indexed column, keeping the oldest of
rotations duplicated by concurrent sweeps before it."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from sqlalchemy import select, text

from workforce import create_app, db
from workforce.cli import alembic_config, upgrade
from workforce.rotations.models import Rotation
from workforce.rotations.services import start_rotation_once

NOW = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)
#: The revision 0121 follows in the chain.
BEFORE_0121 = "0153"


def test_upgrade_keeps_the_key_on_the_oldest_duplicate(tmp_path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "TESTING": True})
    command.upgrade(alembic_config(app), BEFORE_0121)
    with app.test_request_context(), db.transaction(app) as session:
        # raw SQL: today's models have columns that later revisions add
        cid = session.execute(
            text(
                "INSERT INTO contractors (full_name, email, country, timezone, locale, currency,"
                " status, opt_outs, created_at, updated_at) VALUES ('A', 'a@example.org', 'KE',"
                " 'Africa/Nairobi', 'en_KE', 'KES', 'active', '[]', '2026-03-14 12:00:00',"
                " '2026-03-14 12:00:00') RETURNING id"
            )
        ).scalar_one()
        for explanation in (
            {"rule": "daily_limit", "breach_key": "daily_limit:3:2026-03-14"},
            {"rule": "daily_limit", "breach_key": "daily_limit:3:2026-03-14"},  # the race
            {"rule": "weekly_limit", "breach_key": "weekly_limit:3:2026-03-14"},
            {"rule": "manual", "note": "no key"},
        ):
            session.execute(
                text(
                    "INSERT INTO rotations (contractor_id, reason, status, started_at, ends_at,"
                    " explanation, shifts_reassigned, shifts_cancelled, created_at) VALUES "
                    "(:cid, :reason, 'active', '2026-03-14 12:00:00', '2026-03-15 12:00:00',"
                    " :explanation, 0, 0, '2026-03-14 12:00:00')"
                ),
                {"cid": cid, "reason": explanation["rule"], "explanation": json.dumps(explanation)},
            )
    upgrade(app)
    with db.get_db(app).reader() as session:
        keys = session.execute(select(Rotation.id, Rotation.breach_key).order_by(Rotation.id))
        assert [tuple(row) for row in keys] == [
            (1, "daily_limit:3:2026-03-14"),
            (2, None),
            (3, "weekly_limit:3:2026-03-14"),
            (4, None),
        ]
    with app.test_request_context(), db.transaction(app) as session:
        again = start_rotation_once(
            session,
            contractor_id=cid,
            reason="weekly_limit",
            started_at=NOW,
            ends_at=NOW + dt.timedelta(hours=24),
            explanation={"rule": "weekly_limit", "breach_key": "weekly_limit:3:2026-03-14"},
        )
    assert again is None
    command.downgrade(alembic_config(app), "0120")
    db.get_db(app).engine.dispose()
