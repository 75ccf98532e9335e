"""The OpenAPI document says something about every operation: a summary, a description
(who may call it, which problem codes it answers), an example of every JSON body, and the
problem codes of each status with an example of each (issue 21)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from workforce import create_app
from workforce.api.openapi import PROBLEM_CODES, example_of
from workforce.errors import PROBLEM_MIMETYPE

METHODS = ("get", "post", "put", "patch", "delete")
ROOT = Path(__file__).resolve().parents[2] / "workforce"
#: Codes answered outside /api/v1 (portal pages, the calendar feed), not in this document.
#: Exchange rates come in by a CSV import command only (workforce/pay/cli.py).
OUTSIDE_THE_API = {"sign_in_failed", "calendar_not_found", "duplicate_exchange_rate"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app({"DATABASE_URL": "sqlite://"})
    return app.test_client().get("/api/v1/openapi.json").json


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_has_a_summary_a_description_and_examples(spec) -> None:
    missing = []
    for name, operation in operations(spec):
        if not operation.get("summary", "").strip():
            missing.append(f"{name}: summary")
        if len(operation.get("description", "").strip()) < 20:
            missing.append(f"{name}: description")
        if "**Who may call:**" not in operation.get("description", ""):
            missing.append(f"{name}: who may call")
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, r) for status, r in operation["responses"].items() if "content" in r]
        examples = 0
        for where, body in bodies:
            for media_type, media in body.get("content", {}).items():
                if "json" not in media_type:
                    continue  # a PDF, a PNG, a CSV or a spreadsheet
                if media.get("example") is None and not media.get("examples"):
                    missing.append(f"{name}: example of {where} {media_type}")
                examples += 1
        if not examples:
            missing.append(f"{name}: no example at all")
    assert missing == []


def test_problem_responses_list_their_codes_with_an_example_each(spec) -> None:
    for name, operation in operations(spec):
        for status, response in operation["responses"].items():
            if not status.isdigit() or int(status) < 400 or "$ref" in response:
                continue
            if PROBLEM_MIMETYPE not in response["content"]:
                assert name == "GET /api/v1/health/ready", name  # its 503 is a Ready body
                continue
            media = response["content"][PROBLEM_MIMETYPE]
            assert media["schema"] == {"$ref": "#/components/schemas/Problem"}, name
            for code, example in media["examples"].items():
                assert example["value"]["code"] == code
                assert example["value"]["status"] == int(status), f"{name} {code}"
                assert f"`{code}`" in response["description"], f"{name} {code}"


def test_rule_codes_are_listed_where_they_can_happen(spec) -> None:
    def codes(name: str, status: str = "409") -> set[str]:
        method, path = name.split(" ", 1)
        response = spec["paths"][path][method.lower()]["responses"].get(status, {})
        return set(response.get("content", {}).get(PROBLEM_MIMETYPE, {}).get("examples", {}))

    assert {"rotation_active", "contractor_offboarded"} <= codes("POST /api/v1/rotations")
    assert {"not_eligible", "overlap", "rest_too_short", "weekly_hours_exceeded"} <= codes(
        "POST /api/v1/shifts"
    )
    assert "statement_final" in codes("POST /api/v1/pay-statements/{statement_id}/finalize")
    assert codes("GET /api/v1/health") == set()
    assert "role_not_allowed" in codes("GET /api/v1/audit-events", "403")
    assert "not_a_contractor" in codes("GET /api/v1/me/schedule", "403")
    assert codes("GET /api/v1/health", "401") == set()
    description = spec["paths"]["/api/v1/rotations"]["post"]["description"]
    assert "`rotation_active`" in description and "admin, ops" in description


def test_every_code_the_code_base_raises_is_documented(spec) -> None:
    raised = {
        code
        for path in ROOT.rglob("*.py")
        for code in re.findall(r'code="([a-z_]+)"', path.read_text())
    }
    raised |= {"overlap", "rest_too_short", "shift_too_long", "weekly_hours_exceeded"}
    raised |= {"duplicate_email", "duplicate_external_ref", "confusable_email"}
    documented = {
        code
        for _name, operation in operations(spec)
        for response in operation["responses"].values()
        for code in response.get("content", {}).get(PROBLEM_MIMETYPE, {}).get("examples", {})
    }
    assert raised - OUTSIDE_THE_API - documented == set()
    assert set(PROBLEM_CODES) - documented == set()


def test_examples_follow_the_schema() -> None:
    components = {
        "Item": {
            "type": "object",
            "properties": {
                "country": {"type": "string"},
                "starts_at": {"type": "string", "format": "date-time"},
                "tier": {"type": "integer", "minimum": 0},
                "status": {"type": "string", "enum": ["active", "ended"]},
                "hourly_rate": {"type": "string", "format": "decimal"},
                "note": {"type": ["string", "null"], "example": "given"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            },
        }
    }
    assert example_of({"$ref": "#/components/schemas/Item"}, components) == {
        "country": "KE",
        "starts_at": "2026-03-02T08:00:00+00:00",
        "tier": 1,
        "status": "active",
        "hourly_rate": "412.50",
        "note": "given",
        "children": [{}],  # a schema that contains itself stops at one level
    }
