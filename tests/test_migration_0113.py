"""Migration 0113 gives every existing roll-up row a queue (docs/reports.md)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from workforce import create_app
from workforce.cli import alembic_config, upgrade

NOW = "2026-03-01 00:00:00.000000"


def test_existing_rollups_get_a_queue(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    upgrade(app, "0106")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contractors (id, full_name, email, country, timezone, locale, "
                "currency, status, opt_outs, created_at, updated_at) VALUES "
                "(1, 'A', 'a@example.org', 'KE', 'Africa/Nairobi', 'en_KE', 'KES', 'active', "
                f"'[]', '{NOW}', '{NOW}')"
            )
        )
        for qid, slug, tier, categories in (
            (1, "hate", 2, '["hate_extremism"]'),  # the only queue carrying hate: exact
            (2, "gore", 3, '["violence_gore"]'),  # two tier-3 queues carry gore
            (3, "gore-b", 3, '["violence_gore"]'),
        ):
            conn.execute(
                text(
                    "INSERT INTO queues (id, slug, name, tier, categories, "
                    "required_credentials, active, created_at, updated_at) VALUES "
                    f"({qid}, '{slug}', '{slug}', {tier}, '{categories}', '[]', 1, "
                    f"'{NOW}', '{NOW}')"
                )
            )
        # the contractor's gore came from gore-b only: the raw events say so
        conn.execute(
            text(
                "INSERT INTO exposure_events (ingest_token_id, event_id, contractor_id, "
                "queue_id, tier, category, started_at, duration_seconds, items, received_at) "
                f"VALUES (1, 'e1', 1, 3, 3, 'violence_gore', '{NOW}', 60, 1, '{NOW}')"
            )
        )
        for tier, category in ((2, "hate_extremism"), (3, "violence_gore")):
            conn.execute(
                text(
                    "INSERT INTO exposure_daily (contractor_id, local_day, tier, category, "
                    f"seconds, items, events) VALUES (1, '2026-03-01', {tier}, '{category}', "
                    "60, 1, 1)"
                )
            )
    upgrade(app, "0113")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tier, queue_id, breaks_due, breaks_missed FROM exposure_daily ORDER BY tier"
            )
        ).all()
    assert [tuple(r) for r in rows] == [(2, 1, 0, 0), (3, 3, 0, 0)]
    command.downgrade(alembic_config(app), "0106")  # and back: rows merged over queues
    with engine.connect() as conn:
        back = conn.execute(text("SELECT tier, seconds FROM exposure_daily ORDER BY tier")).all()
    engine.dispose()
    assert [tuple(r) for r in back] == [(2, 60), (3, 60)]
