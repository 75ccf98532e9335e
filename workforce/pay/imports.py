"""CSV imports of wage distributions and exchange rates (docs/pay-data-formats.md).

An import is all or nothing: every row is checked, every problem is reported with its
line number, and nothing is stored unless all rows are good. Re-running an import is
harmless: rows already stored with the same values are counted as unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
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


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int


def _rows(lines: Iterable[str], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV with a header; ``#`` lines and blank lines skipped."""
    numbered = (
        (n, line)
        for n, line in enumerate(lines, start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    first = next(numbered, None)
    if first is None:
        raise InvalidInput.field("file", "is empty")
    header = [h.strip() for h in next(csv.reader([first[1]]))]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput.field(f"line {first[0]}", f"header lacks {', '.join(missing)}")
    for count, (n, line) in enumerate(numbered, start=1):
        if count > MAX_ROWS:
            raise InvalidInput.field(f"line {n}", f"more than {MAX_ROWS} rows")
        cells = next(csv.reader([line]))
        if len(cells) != len(header):
            raise InvalidInput.field(
                f"line {n}", f"has {len(cells)} cells; the header has {len(header)}"
            )
        yield n, {h: c.strip() for h, c in zip(header, cells, strict=True)}


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


def _run(session: Session, rows: Iterator[tuple[int, dict[str, str]]], store: Any) -> ImportResult:
    errors: dict[str, list[str]] = {}
    created = unchanged = 0
    for n, row in rows:
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
        raise InvalidInput(errors, detail=f"{len(errors)} row(s) are wrong; nothing was imported")
    return ImportResult(created, unchanged)


def import_wages(session: Session, lines: Iterable[str]) -> ImportResult:
    """Wage distributions, one per row (country, subdivision, year, currency, period,
    source and p10…p90 columns, more ``pNN`` columns allowed)."""
    return _run(
        session,
        _rows(lines, (*WAGE_COLUMNS, "p10", "p25", "p50", "p75", "p90")),
        lambda row: add_distribution(session, _wage(row), allow_identical=True),
    )


def import_exchange_rates(session: Session, lines: Iterable[str]) -> ImportResult:
    """Dated exchange rates, ``1 base = rate quote``, one per row."""
    result = _run(
        session,
        _rows(lines, RATE_COLUMNS),
        lambda row: add_exchange_rate(session, _rate(row), allow_identical=True),
    )
    audit.record(
        session,
        "exchange_rate.import",
        "exchange_rate",
        None,
        {"created": result.created, "unchanged": result.unchanged},
    )
    return result
