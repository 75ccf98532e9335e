"""Schemathesis, in-process, over our own OpenAPI document: no server error and no answer
that contradicts the document, for every operation, with every default check."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import bearer
from workforce import create_app

# The document does not depend on the data: one app (never connected) to read it from;
# every call goes to the test's own app and database.
SPEC_APP = create_app({"DATABASE_URL": "sqlite://"})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", SPEC_APP)

# Every default check runs except one: domain rules beyond what OpenAPI 3.0 can express
# (a subdivision of another country, a contractor id that does not exist, a country with
# several time zones) answer schema-valid input with 422, as DESIGN.md's contract says.
EXCLUDED = [positive_data_acceptance]

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def auth_headers(case, token: str) -> dict[str, str]:
    """Our token on every request, except a negative case whose mutations include the
    ``Authorization`` header: putting the token back would make that request valid, and
    schemathesis would then report the API for accepting invalid data. Cases that only
    break a body or a query keep the token, so those are validated, not just refused."""
    if case.meta is None or not case.meta.generation.mode.is_negative:
        return bearer(token)
    data = case.meta.phase.data
    mutated = f"{getattr(data, 'parameter', '')} {getattr(data, 'description', '')}"
    return {} if "authorization" in mutated.lower() else bearer(token)


@pytest.fixture
def admin_token(make_token, new_contractor) -> str:
    """One admin token and one contractor per operation (not per generated case)."""
    new_contractor()
    return str(make_token("admin"))


@schema.parametrize()
@FUZZ
def test_as_admin(case, app, admin_token: str) -> None:
    headers = auth_headers(case, admin_token)
    case.call_and_validate(app=app, headers=headers, excluded_checks=EXCLUDED)
