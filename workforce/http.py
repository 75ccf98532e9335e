"""The edges of every request: guards before the view, headers every response carries,
and closing the request's session (the transaction boundary is ``db.commit_request``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import RequestEntityTooLarge

from workforce.errors import InvalidInput, problem

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: The API serves JSON only; the docs UI (``api/docs.py``) sets its own, as strict.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _nul_paths(value: Any, path: str) -> list[str]:
    """Paths of the strings in ``value`` (parsed JSON) that contain a NUL character."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        found = [f"{path}.{key}".lstrip(".") for key in value if "\x00" in str(key)]
        for key, item in value.items():
            found += _nul_paths(item, f"{path}.{key}".lstrip("."))
        return found
    if isinstance(value, list):
        return [
            p
            for index, item in enumerate(value)
            for p in _nul_paths(item, f"{path}.{index}".lstrip("."))
        ]
    return []


def refuse_oversized_streams() -> None:
    """413 for a streamed body (``Transfer-Encoding: chunked``, no ``Content-Length``) past
    ``MAX_CONTENT_LENGTH``, as for a declared one.

    Werkzeug stops reading such a body at the limit without an error, so the view would
    parse a cut document (a 400 ``invalid_json`` at best). The body is read here, once
    (views and forms reuse the cached bytes); one more byte from the server's stream tells
    a body of exactly the limit from a longer one.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is None or request.content_length is not None:
        return
    if "wsgi.input_terminated" not in request.environ:
        return  # werkzeug gives no body at all without a length here: nothing was cut
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def reject_nul_characters() -> None:
    """No text we store may contain NUL: PostgreSQL refuses it, and no name, email or id
    needs it. Refused up front, naming the field, for the API and the portal alike."""
    found = [name for name, value in request.args.items(multi=True) if "\x00" in name + value]
    if request.form:
        found += [name for name, value in request.form.items(multi=True) if "\x00" in name + value]
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        found += _nul_paths(request.get_json(silent=True), "")
    if found:
        raise InvalidInput({name: ["must not contain NUL characters"] for name in found})


def reject_nul_characters_outside_api() -> None:
    """The portal's guard; API views run :func:`reject_nul_characters` themselves, once the
    caller is authenticated and authorised (401, then 403, then 422)."""
    if not request.path.startswith("/api/"):
        reject_nul_characters()


#: Deepest nesting of arrays and objects a JSON body may have; no request of ours needs
#: more than 3, and Python's parser recurses once per level (RecursionError near 1,000).
JSON_MAX_DEPTH = 64
_NOT_QUOTES_OR_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in ``body`` (JSON text) nest deeper than ``limit``,
    found without parsing and without a loop in Python over the body (an ingest batch is
    megabytes): escaped backslashes and quotes go first, so that every quote left opens or
    closes a string; strings (which may hold brackets) and everything but brackets are
    dropped; then each pass removes the innermost empty pairs, one level at a time.
    For invalid JSON the answer may be either; the parser refuses such a body anyway."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # not enough brackets to nest that deep
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = unescaped.translate(None, _NOT_QUOTES_OR_BRACKETS).split(b'"')[0::2]
    brackets = b"".join(outside_strings)
    for _level in range(limit):
        if not brackets:
            return False
        brackets = _INNERMOST_PAIR.sub(b"", brackets)
    return bool(brackets)


def reject_deep_json() -> Response | None:
    """Refuse a JSON body nested deeper than :data:`JSON_MAX_DEPTH` before anything parses
    it, on every route. The answer is problem+json on the portal too (not its HTML error
    page): whoever sent JSON reads JSON."""
    if request.is_json and nests_deeper_than(request.get_data(cache=True), JSON_MAX_DEPTH):
        return problem(
            400,
            "Bad request",
            f"the JSON body nests deeper than {JSON_MAX_DEPTH} levels",
            "json_too_deep",
        )
    return None


def close_session(_exc: BaseException | None) -> None:
    """Close what a request left open: the session of a view that raised, or of a route
    outside the boundary (``db.commit_request``), which only reads. Nothing commits here."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.rollback()
    except DBAPIError:
        # The server ended the connection (a fail-over's fast shutdown, a restart): nothing
        # of it was committed, and raising here would replace the answer with a bare 500.
        session.invalidate()
    finally:
        session.close()


def add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        # Nearly every answer names a person: never let a proxy or browser keep it.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy", API_CSP)
    return response


# --- downloads ---------------------------------------------------------------------------

_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL_OR_SEPARATOR = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def file_name(*parts: object, ext: str) -> str:
    """A download's file name from its parts (report, filters, dates), joined by ``_``:
    ``file_name("exposure", "2026-03-02", "country-KE", ext="xlsx")``. Empty parts are
    left out; characters a file system refuses (``/``, ``:``, quotes, controls) become
    ``-``; letters outside ASCII are kept (:func:`content_disposition` encodes them)."""
    words = []
    for part in parts:
        text = _CONTROL_OR_SEPARATOR.sub("-", str(part or "")).strip(" .-")
        if text:
            words.append(text)
    return f"{'_'.join(words) or 'download'}.{ext}"


def ascii_file_name(name: str) -> str:
    """The ``filename=`` fallback for clients that do not read ``filename*``: accents
    dropped (``é`` -> ``e``), anything else outside ``[A-Za-z0-9._-]`` replaced by ``-``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE_IN_NAME.sub("-", plain).strip("-") or "download"


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """The ``Content-Disposition`` value of a download (RFC 6266): ``filename=`` in ASCII
    for every client and, when the name is not plain ASCII, ``filename*`` (RFC 8187,
    UTF-8, percent-encoded), which browsers prefer."""
    fallback = ascii_file_name(name)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def download(
    body: bytes | str,
    content_type: str,
    name: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The one way a file is answered (reports, charts, pay slips, calendars): the body
    with ``Content-Disposition: attachment`` naming ``name`` (see :func:`file_name`)."""
    response = Response(body, content_type=content_type, headers=dict(headers or {}))
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


def init_app(app: Flask) -> None:
    # Size first: the depth scan must never read a chunked body that was cut at the limit.
    app.before_request(refuse_oversized_streams)
    app.before_request(reject_deep_json)
    app.before_request(reject_nul_characters_outside_api)
    app.after_request(add_headers)
    app.teardown_request(close_session)
