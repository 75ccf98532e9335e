"""Schemathesis, in-process, over our own OpenAPI document: no server error and no answer
that contradicts the document, for every operation, with every default check, as every
role. A role the access matrix does not allow on an operation must be refused with 403
(401 when the case broke the token itself)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.test_access_matrix import MATRIX
from tests.conftest import bearer
from workforce import create_app
from workforce.contractors.bulk import XLSX_TYPE
from workforce.http import SECURITY_HEADERS
from workforce.identity.access import ROLES


@schemathesis.serializer(XLSX_TYPE)
def xlsx_body(_ctx, value) -> bytes:
    """A workbook body (``POST /contractors/import``): the binary string generated, as is."""
    return value if isinstance(value, bytes) else str(value).encode()


# The document does not depend on the data: one app (never connected) to read it from;
# every call goes to the test's own app and database.
SPEC_APP = create_app({"DATABASE_URL": "sqlite://"})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", SPEC_APP)

# Every default check runs except one: domain rules beyond what OpenAPI 3.0 can express
# (a subdivision of another country, a contractor id that does not exist, a country with
# several time zones) answer schema-valid input with 422, as the contract says
# (docs/architecture.md, "Errors").
EXCLUDED = [positive_data_acceptance]

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
#: The other roles run fewer cases (the suite runs twice in CI): generated ones only, not
#: the explicit coverage cases (boundary values of every parameter) that admin already
#: sends; a role's refusal is decided before any input is parsed.
FUZZ_OTHER_ROLES = settings(FUZZ, max_examples=8, phases=[Phase.generate])
# The contractor goes first: a case that ops may carry out (offboarding the contractor,
# whose id a generated path can hit) would otherwise revoke its token before its turn.
OTHER_ROLES = sorted((role for role in ROLES if role != "admin"), key=lambda r: r != "contractor")


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


def assert_security_headers(response) -> None:
    """Every answer, success or error, carries the security headers (issue 10)."""
    got = {name: response.headers.get(name.lower(), [None])[0] for name in SECURITY_HEADERS}
    assert got == SECURITY_HEADERS, f"{response.status_code}: {got}"


def refused(case, role: str) -> bool:
    """Whether the access matrix refuses ``role`` this case's operation (a case that
    changed the method is answered 405 before any role is asked)."""
    if case.method.upper() != case.operation.method.upper():
        return False
    path = re.sub(r"\{(\w+)\}", r"<\1>", case.operation.path)
    allowed = MATRIX[f"{case.method.upper()} {path}"]
    return allowed != "public" and role not in allowed.split()


@pytest.fixture
def admin_token(app, make_token, new_contractor) -> str:
    """One admin token and one contractor per operation (not per generated case)."""
    # Schemathesis repeats one invalid token on every case to check that auth is not
    # ignored: past 30 in a minute that token is rate-limited (tests/test_ratelimit.py).
    app.config["AUTH_FAILURES_PER_MINUTE"] = 1_000_000
    new_contractor()
    return str(make_token("admin"))


@schema.parametrize()
@FUZZ
def test_as_admin(case, app, admin_token: str) -> None:
    headers = auth_headers(case, admin_token)
    response = case.call_and_validate(app=app, headers=headers, excluded_checks=EXCLUDED)
    assert_security_headers(response)


@pytest.fixture
def role_tokens(app, make_token, new_contractor) -> dict[str, str]:
    """A token of each other role, made once per operation (a contractor token is bound to a
    contractor of its own)."""
    # Each case goes out once per role: negative cases that break the Authorization header
    # would add up to the failed-authentication limit (tested in tests/api/test_errors.py).
    app.config["AUTH_FAILURES_PER_MINUTE"] = 1_000_000
    contractor_id = new_contractor()
    return {
        role: str(make_token(role, contractor_id if role == "contractor" else None))
        for role in OTHER_ROLES
    }


@schema.parametrize()
@FUZZ_OTHER_ROLES
def test_as_every_other_role(case, app, role_tokens: dict[str, str]) -> None:
    """Each generated case is sent as every role: one app and database per operation."""
    for role, token in role_tokens.items():
        headers = auth_headers(case, token)
        try:
            response = case.call_and_validate(app=app, headers=headers, excluded_checks=EXCLUDED)
        except BaseException as error:
            error.add_note(f"as the {role} role")
            raise
        assert_security_headers(response)
        if refused(case, role):
            # 404: the path itself did not match (e.g. a negative id), before any role
            expected = {403, 404} if headers else {401, 404}
            assert response.status_code in expected, f"{role}: {response.status_code}"
