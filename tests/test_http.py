"""The request boundary's cheap guards: JSON nested too deeply is refused unparsed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workforce.http import JSON_MAX_DEPTH, nests_deeper_than

#: Strings full of what could fool a scanner: brackets, quotes, backslashes, non-ASCII.
TRICKY = st.text(alphabet=st.sampled_from('[]{}"\\\\/ aé€\\n\\u2028'), max_size=8)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(value=JSON, limit=st.integers(0, 8), ascii_only=st.booleans())
def test_the_scanner_agrees_with_the_parser(value: Any, limit: int, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert nests_deeper_than(body, limit) == (depth(value) > limit)


def nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize("levels", [JSON_MAX_DEPTH + 1, 100_000])
def test_deep_json_is_400_before_it_is_parsed(client, admin, levels: int) -> None:
    for path, headers in (("/api/v1/contractors", admin), ("/portal/sign-in", {})):
        response = client.post(
            path, data=nested(levels), headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400, path
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == "json_too_deep"


def test_json_at_the_depth_limit_is_parsed(client, admin) -> None:
    response = client.post(
        "/api/v1/contractors",
        data=nested(JSON_MAX_DEPTH),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 422  # parsed, then refused field by field
