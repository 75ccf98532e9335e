"""The pay evidence report's rows as published: small groups suppressed like every report.

The figures come from ``workforce.pay.report`` (pay and reports sit side by side and never
import each other; the API hands the figures over). This module only needs their shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from workforce.reports.suppression import suppress


class Row(Protocol):
    key: dict[str, Any]
    contractors: int
    hours: float

    def metrics(self) -> dict[str, Any]: ...


class Figures(Protocol):
    group_by: str
    keys: tuple[str, ...]
    rows: list[Any]
    total: Any
    citations: dict[str, Any]
    metrics: tuple[str, ...]


def pay_report(figures: Figures, k: int) -> dict[str, Any]:
    """Rows (keys, metrics, ``suppressed``), the total row and the citations: a row of
    fewer than ``k`` contractors is null, and so is a second one when only one row of the
    total would be hidden (``reports/suppression.py``)."""
    rows: Sequence[Row] = figures.rows
    total: Row = figures.total
    result = suppress(
        [row.contractors for row in rows],
        k,
        [list(range(len(rows)))] if rows else [],
        total_contractors=[total.contractors] if rows else None,
        values=[row.hours for row in rows],
    )
    published = []
    for index, row in enumerate(rows):
        hidden = index in result.cells
        metrics = row.metrics()
        published.append(
            {**row.key, "suppressed": hidden, **(dict.fromkeys(metrics) if hidden else metrics)}
        )
    total_hidden = bool(result.totals)
    total_metrics = total.metrics()
    return {
        "group_by": figures.group_by,
        "key_columns": list(figures.keys),
        "min_group": k,
        "metrics": list(figures.metrics),
        "rows": published,
        "total": {
            "suppressed": total_hidden,
            **(dict.fromkeys(total_metrics) if total_hidden else total_metrics),
        },
        **figures.citations,
    }
