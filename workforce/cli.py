"""``flask --app workforce ...`` commands: db, tokens, audit, seed-demo, scheduler, contractors."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import DBAPIError

from workforce import audit, db
from workforce.contractors import bulk
from workforce.errors import InvalidInput, WorkforceError
from workforce.identity import access
from workforce.pay.cli import bad_rows, pay_cli, terminal_progress

MIGRATIONS = db.MIGRATIONS


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser treats % specially; URLs may contain %-escapes.
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


db_cli = AppGroup("db", help="Database migrations.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the configured database to REVISION (default: head)."""
    upgrade(current_app, revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the configured database down to REVISION."""
    command.downgrade(alembic_config(current_app), revision)


tokens_cli = AppGroup("tokens", help="API tokens.")


@tokens_cli.command("create")
@click.option("--role", required=True, type=click.Choice(access.ROLES))
@click.option("--name", required=True)
@click.option("--contractor", "contractor_id", type=int, default=None)
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None)
def tokens_create(
    role: str, name: str, contractor_id: int | None, expires_days: int | None
) -> None:
    """Create a token and print it alone on the last line."""
    expires_at = db.utcnow() + dt.timedelta(days=expires_days) if expires_days is not None else None
    with db.transaction() as session:
        token, raw = access.create_token(
            session, name=name, role=role, contractor_id=contractor_id, expires_at=expires_at
        )
        click.echo(f"token {token.id} ({role}) expires {token.expires_at:%Y-%m-%d}", err=True)
    if role == "contractor":
        # The API refuses staff this; on the host it stays possible, so say what it means.
        click.echo(
            f"warning: this token can read contractor {contractor_id}'s health data "
            "(check-in answers, scores, referrals) and act as them; give it to nobody but "
            "that person (they can make their own on the portal's API tokens page)",
            err=True,
        )
    click.echo(raw)


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the keyed chain and every signed checkpoint; exit 1 at the first problem."""
    with db.get_db().reader() as session:
        report = audit.verify_chain(session, audit.checkpoint_file(current_app.config))
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} events, {report.checkpoints} checkpoints")
        return
    if report.first_broken_id is None:
        click.echo(f"audit chain not verified: {report.problem}", err=True)
    else:
        click.echo(
            f"audit chain broken at event {report.first_broken_id}: {report.problem} "
            f"({report.checked} events verified before it)",
            err=True,
        )
    sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head into audit_checkpoints and the checkpoint file."""
    path = audit.checkpoint_file(current_app.config)
    with db.transaction() as session:
        done = audit.write_checkpoint(session, db.utcnow(), path=path)
    if not done["checkpoints"]:
        raise click.ClickException("the chain is unkeyed: run `audit rekey` once first")
    click.echo(f"checkpoint at event {done['head_id']} written (also to {path})")


@audit_cli.command("rekey")
def audit_rekey() -> None:
    """Once, after revision 0141: re-sign an unkeyed chain with the key, from genesis."""
    path = audit.checkpoint_file(current_app.config)
    try:
        with db.transaction() as session:
            rows = audit.rekey(session, db.utcnow(), path=path)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"rekeyed {rows} events; the legacy head is recorded in a checkpoint")


@click.command("seed-demo")
@click.option(
    "--live",
    is_flag=True,
    help="Also the living demo world of `make run`: about 60 contractors, two weeks of "
    "history, pay, shifts now and a few people close to their caps (docs/demo.md).",
)
@with_appcontext
def seed_demo(live: bool) -> None:
    """Create a small demo workforce (idempotent); --live adds the living world."""
    from workforce.demo import live as living
    from workforce.demo import seed

    started = time.monotonic()
    progress = live or sys.stderr.isatty()
    if progress:
        click.echo("seeding the demo workforce ...", err=True)
    with db.transaction() as session:
        summary = seed(session)
    for line in summary:
        click.echo(line)
    if live:
        with db.transaction() as session:
            if living.present(session):
                click.echo("living demo already present")
                return
            world = living.World(now=db.utcnow())
        for number, (what, step) in enumerate(living.STEPS, start=1):
            click.echo(f"[{number}/{len(living.STEPS)}] {what} ...", err=True)
            with db.transaction() as session:
                for line in step(session, world):
                    click.echo(line)
    if progress:
        click.echo(f"done in {time.monotonic() - started:.1f} s", err=True)


@click.command("demo-platform")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="The API's base URL."
)
@click.option(
    "--speed",
    type=click.FloatRange(0.1, 600),
    default=1.0,
    show_default=True,
    help="Minutes of exposure one real minute stands for (1: real time).",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds between two rounds of work.",
)
@click.option(
    "--duration",
    type=click.FloatRange(0, None),
    default=None,
    help="Stop after this many seconds (default: run until stopped).",
)
@with_appcontext
def demo_platform(url: str, speed: float, interval: float, duration: float | None) -> None:
    """Simulate a moderation platform: hand out work to whoever is on shift and eligible,
    and post the exposure through the API (docs/demo.md)."""
    from workforce.demo.platform import Platform

    expires = db.utcnow() + dt.timedelta(days=1)
    with db.transaction() as session:
        _, ingest = access.create_token(
            session, name="demo platform: exposure", role="ingest", expires_at=expires
        )
        _, roster = access.create_token(
            session, name="demo platform: who is on shift", role="ops", expires_at=expires
        )
    platform = Platform(url.rstrip("/"), ingest, roster, speed, lambda line: click.echo(line))
    click.echo(f"demo platform: {url}, {speed:g} minute(s) of exposure per minute", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        platform.run(interval, duration)
    click.echo(f"demo platform: {platform.sent} events posted", err=True)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """A consistent online copy of the database at PATH (SQLite: the backup API)."""
    from workforce.backup import BackupError, backup_database

    try:
        for line in backup_database(current_app.config["DATABASE_URL"], path):
            click.echo(line)
    except BackupError as error:
        raise click.ClickException(str(error)) from None


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduler process (one active; a second one is a harmless standby)."""
    from workforce.jobs.runner import run_forever

    run_forever(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("roles-table")
@click.option(
    "--write",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="rewrite the table between its markers in this file (README.md) instead of printing",
)
@with_appcontext
def roles_table_command(write: Path | None) -> None:
    """The table of which role may call which API method, from the views' own roles."""
    from workforce.api.roles_table import roles_table, with_table

    table = roles_table(current_app)
    if write is None:
        click.echo(table)
    else:
        write.write_text(with_table(write.read_text(encoding="utf-8"), table), encoding="utf-8")


contractors_cli = AppGroup("contractors", help="Contractors in bulk.")


@contractors_cli.command("import")
@click.argument("table_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count every row; store nothing.")
def contractors_import(table_file: Path, dry_run: bool) -> None:
    """Create and update contractors from TABLE_FILE (.csv, or .xlsx), all or nothing, as
    POST /api/v1/contractors/import does (docs/contractors-bulk.md)."""
    xlsx = table_file.suffix.lower() == ".xlsx"
    try:
        body = table_file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {table_file}: {exc}") from None
    try:
        with db.transaction() as session:
            result = bulk.import_contractors(
                session,
                bulk.read_table(body, bulk.XLSX_TYPE if xlsx else bulk.CSV_TYPE),
                dry_run=dry_run,
                progress=terminal_progress("contractors"),
            )
    except InvalidInput as error:
        raise bad_rows(table_file, error) from None
    click.echo(
        f"contractors: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged{' (dry run: nothing stored)' if dry_run else ''}"
    )


# --- the edge: every command answers a known problem with one line and exit status 1 ----


def cli_message(error: WorkforceError) -> str:
    """``error`` as one line, naming options as the user types them (``--contractor``, not
    the service's ``contractor_id``)."""
    if not isinstance(error, InvalidInput):
        return error.detail
    context = click.get_current_context(silent=True)
    params = context.command.params if context is not None else []
    names = {p.name: p.opts[0] for p in params if isinstance(p, click.Option) and p.opts}
    return "; ".join(
        f"{names.get(field, field)}: {message}" if field else message
        for field, messages in error.errors.items()
        for message in messages
    )


def at_the_edge(callback: Callable[..., Any], *, needs_schema: bool) -> Callable[..., Any]:
    """``callback`` with the checks every command shares: the database must be reachable
    and migrated (when the command uses it), and a domain or database error becomes one
    ``Error: ...`` line and exit status 1 instead of a traceback."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        url = current_app.config["DATABASE_URL"]
        if needs_schema and (problem := db.schema_problem(url)):
            raise click.ClickException(problem)
        try:
            return callback(*args, **kwargs)
        except WorkforceError as error:
            raise click.ClickException(cli_message(error)) from None
        except CommandError as error:  # alembic's own, e.g. an unknown revision
            raise click.ClickException(str(error)) from None
        except DBAPIError:
            # The server went away, or (for a command that needs it) the schema is behind.
            check = db.schema_problem if needs_schema else db.unreachable
            if problem := check(url):
                raise click.ClickException(problem) from None
            raise

    return with_appcontext(run)


def _guard(command_: click.Command, *, needs_schema: bool) -> None:
    if isinstance(command_, click.Group):
        for sub in command_.commands.values():
            _guard(sub, needs_schema=needs_schema)
    elif command_.callback is not None:
        command_.callback = at_the_edge(command_.callback, needs_schema=needs_schema)


#: Commands that work on a database not yet migrated (or need none).
WITHOUT_SCHEMA: tuple[click.Command, ...] = (db_cli, backup, roles_table_command)
COMMANDS: tuple[click.Command, ...] = (
    *WITHOUT_SCHEMA,
    tokens_cli,
    audit_cli,
    seed_demo,
    demo_platform,
    scheduler,
    pay_cli,
    contractors_cli,
)
# Once, at import: the command objects are shared by every app this process creates.
for _command in COMMANDS:
    _guard(_command, needs_schema=_command not in WITHOUT_SCHEMA)


def register(app: Flask) -> None:
    for group in COMMANDS:
        app.cli.add_command(group)
