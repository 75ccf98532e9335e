"""Pay fixtures: wage distributions, policies, exchange rates, queues and clocked shifts,
written straight through the services and the session (the shifts API is elsewhere)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.pay.data import ke_distribution
from workforce import db
from workforce.pay import distributions, exchange_rates, policies
from workforce.pay.imports import import_wages
from workforce.queues.services import create_queue
from workforce.shifts.models import Shift

EXAMPLE_WAGES = Path(__file__).resolve().parents[2] / "data" / "wages-example.csv"


class PayData:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queues = 0

    def _run(self, fn: Any) -> Any:
        with self.app.app_context(), db.transaction(self.app) as session:
            return fn(session)

    def example_wages(self) -> None:
        lines = EXAMPLE_WAGES.read_text(encoding="utf-8").splitlines()
        self._run(lambda s: import_wages(s, lines))

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

    def queue(self, tier: int = 0, required: Sequence[str] = ()) -> int:
        self._queues += 1
        data = {
            "slug": f"queue-{self._queues}",
            "name": f"Queue {self._queues}",
            "tier": tier,
            "categories": ["violence_gore"] if tier else [],
            "required_credentials": [{"kind": "degree", "code": code} for code in required],
        }
        return int(self._run(lambda s: create_queue(s, data).id))

    def shift(
        self,
        contractor_id: int,
        queue_id: int,
        start: dt.datetime,
        end: dt.datetime,
        status: str = "completed",
        clocked: bool = True,
    ) -> int:
        def add(session: Any) -> int:
            shift = Shift(
                contractor_id=contractor_id,
                queue_id=queue_id,
                starts_at=start,
                ends_at=end,
                status=status,
                clock_in_at=start if clocked and status in ("completed", "in_progress") else None,
                clock_out_at=end if clocked and status == "completed" else None,
            )
            session.add(shift)
            session.flush()
            return shift.id

        return int(self._run(add))


@pytest.fixture
def pay(app: Flask) -> PayData:
    return PayData(app)
