"""Test data shared by the pay tests and the API-wide tests that need a pay setup."""

from __future__ import annotations

from typing import Any


def ke_distribution() -> dict[str, Any]:
    """An illustrative Kenyan monthly wage distribution (not real figures), fresh each call."""
    return {
        "country": "KE",
        "year": 2026,
        "currency": "KES",
        "period": "month",
        "percentiles": {
            "p10": "14000",
            "p25": "19000",
            "p50": "27000",
            "p75": "42000",
            "p90": "70000",
        },
        "source": "test figures",
    }
