"""Every error is application/problem+json with status, title, detail and code."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.factories import post_queue

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if code:
        assert body["code"] == code
    return body


def test_unknown_route_is_a_404_problem(client) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_405_problem_that_keeps_allow(client, admin) -> None:
    response = client.put("/api/v1/contractors", json={}, headers=admin)
    body = assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "Traceback" not in str(body)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nope", "Basic wf_abc", "Bearer wf_not-a-real-token", "wf_x"],
)
def test_missing_or_bad_token_is_401_with_www_authenticate(client, header) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/contractors", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_role_without_permission_is_403(client, as_role) -> None:
    assert_problem(
        client.post("/api/v1/contractors", json={}, headers=as_role("compliance")),
        403,
        "role_not_allowed",
    )
    assert_problem(client.get("/api/v1/tokens", headers=as_role("ops")), 403)


def test_validation_error_names_each_field(client, admin) -> None:
    response = client.post(
        "/api/v1/contractors",
        json={"full_name": 12, "email": "not-an-email", "colour": "blue"},
        headers=admin,
    )
    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {"full_name", "email", "country", "colour"}
    assert body["errors"]["colour"] == ["Unknown field."]


def test_invalid_json_is_a_400_problem(client, admin) -> None:
    response = client.post(
        "/api/v1/contractors",
        data=b"{not json",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_json")


def test_a_body_that_is_not_an_object_is_a_422(client, admin) -> None:
    response = client.post("/api/v1/contractors", json=[1, 2], headers=admin)
    assert_problem(response, 422, "validation_error")


def test_duplicate_is_409(client, admin) -> None:
    data = {"full_name": "A", "email": "a@example.org", "country": "KE"}
    assert client.post("/api/v1/contractors", json=data, headers=admin).status_code == 201
    data["email"] = "A@Example.org"  # case does not make a new address
    assert_problem(
        client.post("/api/v1/contractors", json=data, headers=admin), 409, "duplicate_email"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=501", "page_size"),
        ("page=0", "page"),
        ("page=99999999999", "page"),
        ("page_size=abc", "page_size"),
    ],
)
def test_page_bounds_are_enforced(client, admin, query, field) -> None:
    body = assert_problem(client.get(f"/api/v1/contractors?{query}", headers=admin), 422)
    assert field in body["errors"]


@pytest.mark.parametrize("query", ["statuss=active", "=x", "page=1&page=2&sort=name"])
def test_unknown_query_parameters_are_a_422(client, admin, query) -> None:
    body = assert_problem(client.get(f"/api/v1/contractors?{query}", headers=admin), 422)
    assert "unknown query parameter" in str(body["errors"])


def test_bodies_over_the_limit_are_413(app, client, admin) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(
        "/api/v1/contractors",
        data=b"{" + b" " * 2000 + b"}",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_personal_data_is_never_cached(client, admin) -> None:
    response = client.get("/api/v1/contractors", headers=admin)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_repeated_failed_authentication_is_rate_limited(app, client) -> None:
    app.config["AUTH_FAILURES_PER_MINUTE"] = 3
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer("wf_wrong")).status_code == 401
    response = client.get("/api/v1/me", headers=bearer("wf_wrong"))
    assert_problem(response, 429, "rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= 61


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "1899-12-31T23:59:59Z"]
)
def test_instants_at_the_ends_of_time_are_422_not_500(client, admin, new_contractor, at) -> None:
    """Converting year 1 or 9999 with an offset to UTC overflows; every instant field
    (``api.common.Timestamp``) refuses them before anything computes with them."""
    cid = new_contractor()
    post_queue(client, admin, slug="q1")
    response = client.get(
        f"/api/v1/contractors/{cid}/eligibility",
        query_string={"queue": "q1", "at": at},
        headers=admin,
    )
    body = assert_problem(response, 422, "validation_error")
    assert "at" in body["errors"]


def test_nul_characters_are_refused_naming_the_field(client, admin) -> None:
    """PostgreSQL cannot store NUL; it must be a 422 everywhere, never a 500."""
    query = client.get("/api/v1/contractors?country=%C2%81%00&search=x", headers=admin)
    body = assert_problem(query, 422, "validation_error")
    assert list(body["errors"]) == ["country"]
    nested = client.post(
        "/api/v1/contractors",
        json={"full_name": "A\u0000B", "email": "a@example.org", "country": "KE"},
        headers=admin,
    )
    assert list(assert_problem(nested, 422)["errors"]) == ["full_name"]


def test_nul_characters_are_checked_after_authentication_and_role(client, as_role) -> None:
    """401, then 403, then 422: who may not call an operation learns nothing about input."""
    url = "/api/v1/contractors?search=a%00b"
    assert_problem(client.get(url), 401)
    assert_problem(client.get(url, headers=as_role("ingest")), 403, "role_not_allowed")
    assert_problem(client.get(url, headers=as_role("ops")), 422, "validation_error")
