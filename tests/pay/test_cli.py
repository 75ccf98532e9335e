"""``flask pay import-wages`` and ``flask pay import-rates``: all or nothing, re-runnable."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import child_env
from tests.pay.conftest import EXAMPLE_WAGES
from workforce import db
from workforce.pay.models import ExchangeRate, WageDistribution

EXAMPLE_RATES = EXAMPLE_WAGES.with_name("exchange-rates-example.csv")


def count(app: Flask, model: type) -> int:
    with db.get_db(app).reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_example_wages_are_labelled_illustrative_and_import_twice(app: Flask) -> None:
    text = EXAMPLE_WAGES.read_text(encoding="utf-8")
    assert text.startswith("# ILLUSTRATIVE EXAMPLE ONLY - NOT OFFICIAL FIGURES.")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["pay", "import-wages", str(EXAMPLE_WAGES)])
    assert first.exit_code == 0, first.output
    assert "6 imported, 0 unchanged" in first.output
    second = runner.invoke(args=["pay", "import-wages", str(EXAMPLE_WAGES)])
    assert "0 imported, 6 unchanged" in second.output
    with db.get_db(app).reader() as session:
        rows = session.scalars(select(WageDistribution)).all()
    assert {r.country for r in rows} == {"KE", "PH", "IN", "CO", "US"}
    assert all(r.source.startswith("Illustrative") for r in rows)


def test_a_bad_row_imports_nothing_and_names_every_line(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "wages.csv"
    path.write_text(
        "country,subdivision,year,currency,period,p10,p25,p50,p75,p90,p95,source\n"
        "KE,,2026,KES,month,1,2,3,4,5,,fine\n"
        "PH,,2026,PHP,month,1,2,2,4,5,6,flat in the middle\n"
        "IN,,2026,ZZZ,month,1,2,3,4,5,6,unknown currency\n"
        "CO,,twenty,COP,month,1,2,3,4,5,6,bad year\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["pay", "import-wages", str(path)])
    assert result.exit_code != 0
    assert "line 3: percentiles: values must increase" in result.output
    assert "line 4: currency:" in result.output
    assert "line 5: year: must be a whole number" in result.output
    assert "3 row(s) are wrong; nothing was imported" in result.output
    assert count(app, WageDistribution) == 0


def test_a_changed_distribution_is_refused(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["pay", "import-wages", str(EXAMPLE_WAGES)])
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "country,subdivision,year,currency,period,p10,p25,p50,p75,p90,source\n"
        "KE,,2026,KES,month,1,2,3,4,5,revised\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["pay", "import-wages", str(changed)])
    assert result.exit_code != 0
    assert "line 2: a wage distribution for KE 2026 exists already" in result.output


def test_exchange_rates_import(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pay", "import-rates", str(EXAMPLE_RATES)])
    assert result.exit_code == 0, result.output
    assert "10 imported, 0 unchanged" in result.output
    assert (
        "0 imported, 10 unchanged"
        in runner.invoke(args=["pay", "import-rates", str(EXAMPLE_RATES)]).output
    )
    bad = tmp_path / "rates.csv"
    bad.write_text(
        "date,base,quote,rate,source\n"
        "2026-11-30,USD,KES,130,a different rate for the same day\n"
        "2026-13-01,USD,KES,1,bad date\n"
        "2026-11-30,USD,USD,1,same currency\n"
        "2026-11-29,USD,KES,-1,negative\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["pay", "import-rates", str(bad)])
    assert result.exit_code != 0
    for line in (
        "line 2: USD/KES on 2026-11-30 is already 129.25",
        "line 3: date:",
        "line 4:",
        "line 5:",
    ):
        assert line in result.output
    assert count(app, ExchangeRate) == 10


def test_missing_columns_and_empty_files(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    empty = tmp_path / "empty.csv"
    empty.write_text("# nothing but a comment\n", encoding="utf-8")
    assert "file: is empty" in runner.invoke(args=["pay", "import-wages", str(empty)]).output
    short = tmp_path / "short.csv"
    short.write_text("country,year\nKE,2026\n", encoding="utf-8")
    output = runner.invoke(args=["pay", "import-wages", str(short)]).output
    assert "line 1: header lacks subdivision, currency, period, source, p10" in output


RATES_HEADER = "date,base,quote,rate,source\n"


def test_a_quoted_cell_may_hold_commas_and_newlines(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    # RFC 4180: a quoted field holds the separator, doubled quotes and a line break.
    path.write_text(
        RATES_HEADER + '2026-11-30,USD,KES,129.25,"Central Bank of Kenya, ""mean"" rate\r\n'
        'published daily"\r\n',
        encoding="utf-8",
        newline="",
    )
    result = app.test_cli_runner().invoke(args=["pay", "import-rates", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 unchanged" in result.output
    with db.get_db(app).reader() as session:
        source = session.scalars(select(ExchangeRate.source)).one()
    assert source == 'Central Bank of Kenya, "mean" rate\npublished daily'


def test_every_bad_row_is_reported_with_the_line_it_starts_on(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        RATES_HEADER
        + "2026-11-30,USD,KES,129.25\n"  # line 2: a cell short
        + '2026-11-30,USD,KES,"129\n.25",two lines\n'  # lines 3-4: not a number
        + "# a comment\n\n"
        + "2026-11-30,USD\n"  # line 7: short again (the old import stopped at line 2)
        + "2026-13-01,USD,KES,1,bad date\n",  # line 8
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["pay", "import-rates", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: line 2: has 4 cells; the header has 5",
        f"{path}: line 3: rate: must be a decimal number",
        f"{path}: line 7: has 2 cells; the header has 5",
        f"{path}: line 8: date: must be a date YYYY-MM-DD",
        "Error: 4 row(s) are wrong; nothing was imported",
    ]
    assert count(app, ExchangeRate) == 0


@pytest.mark.parametrize(("mark", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_a_file_with_another_separator_gets_a_hint(
    app: Flask, tmp_path: Path, mark: str, name: str
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        mark.join(["date", "base", "quote", "rate", "source"]) + "\n"
        + mark.join(["2026-11-30", "USD", "KES", "129,25", "x"]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = app.test_cli_runner().invoke(args=["pay", "import-rates", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: line 1: header lacks date, base, quote, rate, source (the file looks "
        f"{name}-separated: save it as CSV with commas, docs/pay-data-formats.md)",
        "Error: nothing was imported",
    ]


def test_an_import_shows_progress_on_a_terminal_only(database_url: str, app: Flask) -> None:
    command = [sys.executable, "-m", "flask", "--app", "workforce", "pay", "import-rates",
               str(EXAMPLE_RATES)]  # fmt: skip
    env = child_env(WORKFORCE_DATABASE_URL=database_url)
    piped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    leader, follower = pty.openpty()
    with os.fdopen(leader, "rb", buffering=0) as terminal:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=follower,
                              text=True, timeout=60)  # fmt: skip
        os.close(follower)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once the child's end is closed
            while chunk := terminal.read(4096):
                drawn += chunk
    assert done.returncode == 0
    assert "0 imported, 10 unchanged" in done.stdout
    assert b"\rexchange rates: 10/10 rows checked" in drawn
