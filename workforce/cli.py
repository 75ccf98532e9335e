"""``flask --app workforce ...`` commands: db, tokens, audit, seed-demo, scheduler."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from workforce import audit, db
from workforce.errors import WorkforceError
from workforce.identity import access
from workforce.pay.cli import pay_cli

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
    try:
        with db.transaction() as session:
            token, raw = access.create_token(
                session, name=name, role=role, contractor_id=contractor_id, expires_at=expires_at
            )
            click.echo(f"token {token.id} ({role}) expires {token.expires_at:%Y-%m-%d}", err=True)
    except WorkforceError as error:
        raise click.ClickException(error.detail) from None
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
@with_appcontext
def seed_demo() -> None:
    """Create a small demo workforce (idempotent)."""
    from workforce.demo import seed

    with db.transaction() as session:
        summary = seed(session)
    for line in summary:
        click.echo(line)


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


def register(app: Flask) -> None:
    commands = (
        db_cli,
        tokens_cli,
        audit_cli,
        seed_demo,
        scheduler,
        pay_cli,
        backup,
        roles_table_command,
    )
    for group in commands:
        app.cli.add_command(group)
