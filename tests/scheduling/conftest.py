"""Helpers for shift tests: a queue, planning through the API, instants near now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import post_queue
from workforce import db

API = "/api/v1"


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def soon(days: float = 3, hour: int = 9) -> dt.datetime:
    """A whole hour ``days`` from now (UTC), safely in the future."""
    base = db.utcnow().replace(minute=0, second=0, microsecond=0, hour=hour)
    return base + dt.timedelta(days=days)


@pytest.fixture
def queue(client: FlaskClient, ops: dict[str, str]) -> dict[str, Any]:
    return post_queue(client, ops, slug="general", name="General labelling")


@pytest.fixture
def plan(
    client: FlaskClient, ops: dict[str, str], queue: dict[str, Any]
) -> Callable[..., TestResponse]:
    """``plan(contractor_id, start, hours=8, **extra)`` -> the POST /shifts response."""

    def make(
        contractor_id: int | None, start: dt.datetime, hours: float = 8, **extra: Any
    ) -> TestResponse:
        # in UTC: adding hours to a datetime with a ZoneInfo adds wall-clock time, which
        # is an hour off on a DST change day
        start = start.astimezone(dt.UTC)
        body = {
            "contractor_id": contractor_id,
            "queue_id": extra.pop("queue_id", queue["id"]),
            "starts_at": iso(start),
            "ends_at": iso(start + dt.timedelta(hours=hours)),
            **extra,
        }
        if contractor_id is None:
            del body["contractor_id"]
        return client.post(f"{API}/shifts", json=body, headers=extra.pop("headers", ops))

    return make
