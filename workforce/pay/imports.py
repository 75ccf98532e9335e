"""CSV imports of wage distributions and exchange rates (docs/pay-data-formats.md).

An import is all or nothing: every row is checked, every problem is reported with its
line number and field, and nothing is stored unless all rows are good. The whole file is
read with the ``csv`` module, so a quoted cell may span lines (RFC 4180). Re-running an import is
harmless: rows already stored with the same values are counted as unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workforce import audit
from workforce.errors import InvalidInput, WorkforceError
from workforce.pay.distributions import add_distribution
from workforce.pay.exchange_rates import add_exchange_rate

WAGE_COLUMNS = ("country", "subdivision", "year", "currency", "period", "source")
RATE_COLUMNS = ("date", "base", "quote", "rate", "source")
_PERCENTILE_COLUMN = re.compile(r"p[0-9]{1,2}")
#: More rows than any real table: a guard against feeding the wrong file.
MAX_ROWS = 100_000
#: What nothing-stored errors of the whole file say after their lines.
NOTHING_IMPORTED = "nothing was imported"

#: ``progress(done, total)`` after each row: the CLI draws it on a terminal.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of every record of an RFC 4180 text (a quoted cell may hold
    commas, quotes and newlines); the number is the line the record starts on. Blank
    records and those whose first cell starts with ``#`` are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            yield line, cells
    except csv.Error as error:
        raise InvalidInput(
            {f"line {reader.line_num}": [f"is not valid CSV ({error})"]}, detail=NOTHING_IMPORTED
        ) from None


def _delimiter_hint(line: str) -> str:
    """A hint when a header was written with another separator (a spreadsheet's export in
    a locale whose decimal mark is a comma writes ``;``)."""
    for name, mark in (("semicolon", ";"), ("tab", "\t")):
        if line.count(mark) >= 2 and line.count(mark) > line.count(","):
            return (
                f" (the file looks {name}-separated: save it as CSV with commas, "
                "docs/pay-data-formats.md)"
            )
    return ""


def _rows(text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str] | str]]:
    """``(line number, row)`` of a CSV with a header, or ``(line number, problem)`` for a
    record of the wrong shape, so that every bad row is reported, not only the first."""
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise InvalidInput({"file": ["is empty"]}, detail=NOTHING_IMPORTED)
    header_line, cells = first
    header = [h.strip() for h in cells]
    missing = [c for c in required if c not in header]
    if missing:
        raw = text.splitlines()[header_line - 1] if text else ""
        raise InvalidInput(
            {f"line {header_line}": [f"header lacks {', '.join(missing)}{_delimiter_hint(raw)}"]},
            detail=NOTHING_IMPORTED,
        )
    rows: list[tuple[int, dict[str, str] | str]] = []
    for n, cells in records:
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(
                {f"line {n}": [f"more than {MAX_ROWS} rows"]}, detail=NOTHING_IMPORTED
            )
        if len(cells) != len(header):
            rows.append((n, f"has {len(cells)} cells; the header has {len(header)}"))
        else:
            rows.append((n, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    return rows


def _wage(row: dict[str, str]) -> dict[str, Any]:
    try:
        year = int(row["year"])
    except ValueError:
        raise InvalidInput.field("year", "must be a whole number") from None
    return {
        "country": row["country"],
        "subdivision": row["subdivision"] or None,
        "year": year,
        "currency": row["currency"],
        "period": row["period"],
        "source": row["source"],
        "percentiles": {
            k: v for k, v in row.items() if _PERCENTILE_COLUMN.fullmatch(k) and v != ""
        },
    }


def _rate(row: dict[str, str]) -> dict[str, Any]:
    try:
        on_date = dt.date.fromisoformat(row["date"])
    except ValueError:
        raise InvalidInput.field("date", "must be a date YYYY-MM-DD") from None
    return {
        "date": on_date,
        "base": row["base"],
        "quote": row["quote"],
        "rate": row["rate"],
        "source": row["source"],
    }


def _run(
    rows: list[tuple[int, dict[str, str] | str]],
    store: Callable[[dict[str, str]], tuple[Any, bool]],
    progress: Progress | None,
) -> ImportResult:
    errors: dict[str, list[str]] = {}
    created = unchanged = 0
    for done, (n, row) in enumerate(rows, start=1):
        if progress is not None:
            progress(done, len(rows))
        if isinstance(row, str):
            errors[f"line {n}"] = [row]
            continue
        try:
            _, new = store(row)
        except WorkforceError as exc:
            detail = exc.errors if isinstance(exc, InvalidInput) else {"": [exc.detail]}
            errors[f"line {n}"] = [
                f"{field}: {m}" if field else m for field, ms in detail.items() for m in ms
            ]
            continue
        created += new
        unchanged += not new
    if errors:
        raise InvalidInput(errors, detail=f"{len(errors)} row(s) are wrong; {NOTHING_IMPORTED}")
    return ImportResult(created, unchanged)


def import_wages(session: Session, text: str, progress: Progress | None = None) -> ImportResult:
    """Wage distributions from the CSV ``text``, one per row (country, subdivision, year,
    currency, period, source and p10…p90 columns, more ``pNN`` columns allowed)."""
    return _run(
        _rows(text, (*WAGE_COLUMNS, "p10", "p25", "p50", "p75", "p90")),
        lambda row: add_distribution(session, _wage(row), allow_identical=True),
        progress,
    )


def import_exchange_rates(
    session: Session, text: str, progress: Progress | None = None
) -> ImportResult:
    """Dated exchange rates from the CSV ``text``, ``1 base = rate quote``, one per row."""
    result = _run(
        _rows(text, RATE_COLUMNS),
        lambda row: add_exchange_rate(session, _rate(row), allow_identical=True),
        progress,
    )
    audit.record(
        session,
        "exchange_rate.import",
        "exchange_rate",
        None,
        {"created": result.created, "unchanged": result.unchanged},
    )
    return result
