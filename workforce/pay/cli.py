"""``flask --app workforce pay ...``: import wage distributions and exchange rates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from workforce import db
from workforce.errors import InvalidInput, WorkforceError
from workforce.pay.imports import ImportResult, import_exchange_rates, import_wages

pay_cli = AppGroup("pay", help="Pay data: wage distributions and exchange rates.")


def _import(path: Path, run: Callable[[Session, list[str]], ImportResult], what: str) -> None:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    try:
        with db.transaction() as session:
            result = run(session, lines)
    except InvalidInput as error:
        for where, messages in error.errors.items():
            for message in messages:
                click.echo(f"{path}: {where}: {message}", err=True)
        raise click.ClickException(error.detail) from None
    except WorkforceError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"{what}: {result.created} imported, {result.unchanged} unchanged")


@pay_cli.command("import-wages")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_wages_command(csv_file: Path) -> None:
    """Import wage distributions from CSV_FILE (docs/pay-data-formats.md)."""
    _import(csv_file, import_wages, "wage distributions")


@pay_cli.command("import-rates")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_rates_command(csv_file: Path) -> None:
    """Import dated exchange rates from CSV_FILE (docs/pay-data-formats.md)."""
    _import(csv_file, import_exchange_rates, "exchange rates")
