"""Crisis lines per country, from ``data/crisis_lines.json`` (each entry cites its source
and is marked pending clinical review), for the portal's check-in result page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "crisis_lines.json"


@dataclass(frozen=True)
class CrisisLine:
    name: str
    phone: str
    hours: str
    source: str
    review: str


@cache
def _lines() -> dict[str, CrisisLine]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {code: CrisisLine(**entry) for code, entry in raw.items() if not code.startswith("_")}


def crisis_line(country: str) -> CrisisLine | None:
    """The crisis line of ``country`` (ISO 3166-1 alpha-2), or None where none is listed."""
    return _lines().get(country.upper())
