"""A database migrated to head has exactly the schema the models describe, and the newest
migrations roll back."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from workforce import create_app, db
from workforce.cli import alembic_config, upgrade
from workforce.db import Base
from workforce.exposure.partitions import comparison_filter
from workforce.models import load_all


def test_migrations_at_head_equal_the_models(database_url: str) -> None:
    load_all()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        opts = {
            "compare_type": True,
            "include_object": comparison_filter(connection.dialect.name),
        }
        context = MigrationContext.configure(connection, opts=opts)
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_the_latest_migrations_go_down_and_up_again(database_url: str) -> None:
    """The per-day roll-up and the received_at index (0119, 0120) can be rolled back by a
    release rollback and applied again; the schema then still equals the models."""
    app = create_app({"DATABASE_URL": database_url})
    command.downgrade(alembic_config(app), "0118")
    engine = create_engine(database_url)
    tables = inspect(engine).get_table_names()
    indexes = {i["name"] for i in inspect(engine).get_indexes("exposure_events")}
    engine.dispose()
    assert "contractor_days" not in tables
    assert "ix_exposure_events_started_at" in indexes
    upgrade(app)
    db.get_db(app).dispose()
    test_migrations_at_head_equal_the_models(database_url)
