"""Helpers for the wellbeing tests: a contractor with their own token, counsellors, check-ins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

#: Answer sheets with known results (PHQ-9 item 9 is the last answer).
CALM_PHQ9 = [0, 1, 0, 1, 0, 0, 0, 0, 0]  # 2, minimal, not flagged
MODERATE_PHQ9 = [2, 2, 2, 2, 1, 1, 0, 0, 0]  # 10, moderate, flagged
ITEM9_PHQ9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # 1, minimal, flagged and urgent
LOW_WHO5 = [1, 1, 1, 1, 1]  # raw 5, 20 %, likely depression, flagged


@dataclass
class Person:
    id: int
    headers: dict[str, str]


@pytest.fixture
def person(new_contractor: Callable[..., int], as_role: Callable[..., dict[str, str]]):
    """``person()`` -> a new contractor and headers for a token of their own."""

    def make(**fields: Any) -> Person:
        contractor_id = new_contractor(**fields)
        return Person(contractor_id, as_role("contractor", contractor_id))

    return make


@pytest.fixture
def counsellor(as_role: Callable[..., dict[str, str]]) -> dict[str, str]:
    return as_role("wellbeing")


@pytest.fixture
def check_in(client: FlaskClient):
    """``check_in(person, "phq9", answers)`` -> the 201 body."""

    def post(who: Person, instrument: str, answers: list[Any]) -> dict[str, Any]:
        response = client.post(
            "/api/v1/me/checkins",
            json={"instrument": instrument, "answers": answers},
            headers=who.headers,
        )
        assert response.status_code == 201, response.json
        return response.json

    return post
