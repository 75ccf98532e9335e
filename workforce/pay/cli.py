"""``flask --app workforce pay ...``: import wage distributions and exchange rates."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from workforce import db
from workforce.errors import InvalidInput
from workforce.pay.imports import ImportResult, Progress, import_exchange_rates, import_wages

pay_cli = AppGroup("pay", help="Pay data: wage distributions and exchange rates.")


def terminal_progress(what: str) -> Progress | None:
    """Rows done, redrawn in place on a terminal (at most ten times a second); nothing
    when stderr is a file or a pipe, so logs and scripts stay clean."""
    if not sys.stderr.isatty():
        return None
    last = 0.0

    def show(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done == total or now - last >= 0.1:
            last = now
            click.echo(f"\r{what}: {done}/{total} rows checked", nl=done == total, err=True)

    return show


def bad_rows(path: Path, error: InvalidInput) -> click.ClickException:
    """Every bad row of an import on a line of its own (stderr), then what it means, once,
    as the exception to raise."""
    for where, messages in error.errors.items():
        for message in messages:
            click.echo(f"{path}: {where}: {message}", err=True)
    return click.ClickException(error.detail)


def _import(
    path: Path, run: Callable[[Session, str, Progress | None], ImportResult], what: str
) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    try:
        with db.transaction() as session:
            result = run(session, text, terminal_progress(what))
    except InvalidInput as error:
        raise bad_rows(path, error) from None
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
