"""Pay fixtures: wage distributions, policies, exchange rates, queues and clocked shifts,
written straight through the services and the factories (the shifts API is elsewhere)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.factories import make_queue, make_shift
from tests.pay.data import ke_distribution
from workforce import db
from workforce.pay import distributions, exchange_rates, policies
from workforce.pay.imports import import_wages

EXAMPLE_WAGES = Path(__file__).resolve().parents[2] / "data" / "wages-example.csv"


class PayData:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def _run(self, fn: Any) -> Any:
        with self.app.app_context(), db.transaction(self.app) as session:
            return fn(session)

    def example_wages(self) -> None:
        text = EXAMPLE_WAGES.read_text(encoding="utf-8")
        self._run(lambda s: import_wages(s, text))

    def distribution(self, **fields: Any) -> int:
        data = {
            **ke_distribution(),
            **fields,
        }
        return int(self._run(lambda s: distributions.add_distribution(s, data)[0].id))

    def policy(self, **terms: Any) -> int:
        return int(self._run(lambda s: policies.create_policy(s, terms).version))

    def exchange_rate(self, on: dt.date, base: str, quote: str, rate: str) -> None:
        data = {"date": on, "base": base, "quote": quote, "rate": rate, "source": "test rates"}
        self._run(lambda s: exchange_rates.add_exchange_rate(s, data))

    def queue(self, tier: int = 0) -> int:
        return make_queue(self.app, tier=tier)

    def shift(
        self,
        contractor_id: int,
        queue_id: int,
        start: dt.datetime,
        end: dt.datetime,
        status: str = "completed",
        clocked: bool = True,
    ) -> int:
        """A worked shift, by default: completed, clocked in and out on time."""
        return make_shift(
            self.app, contractor_id, queue_id, start, ends_at=end, status=status, clocked=clocked
        )


@pytest.fixture
def pay(app: Flask) -> PayData:
    return PayData(app)
