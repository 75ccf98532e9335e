"""Alembic environment: the URL comes from the app config (see workforce.cli.alembic_config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from workforce.db import Base
from workforce.exposure.partitions import comparison_filter
from workforce.models import load_all

load_all()
config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite alters tables by copying them: batch mode does that for us.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # the monthly partitions of exposure_events on PostgreSQL are not models
            include_object=comparison_filter(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
