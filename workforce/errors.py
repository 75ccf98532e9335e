"""Domain exceptions and their one mapping to what the client is told.

Services raise these; nothing else decides a status code. :func:`describe` turns every
exception (ours, werkzeug's routing errors, webargs' validation errors, the database's)
into the same :class:`Problem`: ``status, title, detail, code`` and, for 422, ``errors``
keyed by field. The API sends it as ``application/problem+json``; portal pages as their
HTML error page (:mod:`workforce.portal.web`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException


class WorkforceError(Exception):
    """Base of every error a client may see. ``code`` is stable and machine-readable."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        #: additional members of the problem document (e.g. eligibility reasons)
        self.extra = extra or {}


class InvalidInput(WorkforceError):
    """422: the request is well-formed JSON but a field is wrong. ``errors`` names it."""

    status = 422
    code = "validation_error"
    title = "Unprocessable entity"

    def __init__(
        self, errors: dict[str, list[str]], detail: str | None = None, *, code: str | None = None
    ) -> None:
        first = next(iter(errors.items()), ("", [""]))
        super().__init__(detail or f"{first[0]}: {first[1][0]}", code=code)
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str, *, code: str | None = None) -> InvalidInput:
        return cls({name: [message]}, code=code)


class Unauthorized(WorkforceError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(WorkforceError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(WorkforceError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(WorkforceError):
    """409: the input is valid but a rule of the domain forbids it now."""

    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(WorkforceError):
    """413: the body is larger than this operation takes (a bulk import's limits)."""

    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedMediaType(WorkforceError):
    """415: the body's ``Content-Type`` is not one this operation reads."""

    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class DatabaseBusy(WorkforceError):
    """503: the database (or a lock) stayed busy for the whole retry budget; retry soon."""

    status = 503
    code = "database_busy"
    title = "Service unavailable"


class Unavailable(WorkforceError):
    """503: something the service needs is missing on this host (the pay slip's fonts); the
    detail says what an operator must install or set. Retrying will not help until then."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"


class TooManyRequests(WorkforceError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


# --- the one mapping of an error to what the client is told ------------------------------

PROBLEM_MIMETYPE = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    """What a client is told about an error: the members of a problem document, and the
    headers that belong to its status (``Retry-After``, ``WWW-Authenticate``, ``Allow``).
    :func:`problem_response` sends it as problem+json; the portal as an HTML page."""

    status: int
    title: str
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def problem_response(found: Problem) -> Response:
    body: dict[str, Any] = {
        "status": found.status,
        "title": found.title,
        "detail": found.detail,
        "code": found.code,
    }
    if found.errors is not None:
        body["errors"] = found.errors
    body.update(found.extra)
    response = current_app.response_class(
        json.dumps(body, default=str), status=found.status, mimetype=PROBLEM_MIMETYPE
    )
    response.headers.update(found.headers)
    return response


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    return problem_response(Problem(status, title, detail, code, errors, headers or {}, extra))


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages -> ``{"events.3.started_at": [...]}``."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            path = ".".join(p for p in (prefix, name) if p) or "_schema"
            flat.update(flatten_messages(value, path))
        return flat
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": [str(m) for m in messages]}
    return {prefix or "_schema": [str(messages)]}


def _from_webargs(error: HTTPException) -> Problem:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages", {})
    # webargs keys messages by location ("json", "query"); clients know fields, not locations
    merged: dict[str, list[str]] = {}
    for location_messages in messages.values() if isinstance(messages, dict) else []:
        merged.update(flatten_messages(location_messages))
    if not merged:
        merged = {"_schema": ["invalid input"]}
    field_name, msgs = next(iter(merged.items()))
    return Problem(
        422, "Unprocessable entity", f"{field_name}: {msgs[0]}", "validation_error", merged
    )


def _http_problem(error: HTTPException) -> Problem:
    status = error.code or 500
    if status == 422:
        return _from_webargs(error)
    headers = dict(error.get_headers()) if status == 405 else {}
    headers.pop("Content-Type", None)
    code = (error.name or "error").lower().replace(" ", "_").replace("'", "")
    detail = error.description or error.name
    messages = (getattr(error, "data", None) or {}).get("messages")
    if status == 400 and messages:
        # webargs could not parse the body at all
        code, detail = "invalid_json", "the request body is not valid JSON"
    return Problem(status, error.name, detail or "", code, headers=headers)


def _domain_problem(error: WorkforceError) -> Problem:
    headers = {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="workforce"'
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.extra.get("retry_after", 60))
    if isinstance(error, DatabaseBusy):
        headers["Retry-After"] = "1"
    return Problem(
        error.status,
        error.title,
        error.detail,
        error.code,
        error.errors if isinstance(error, InvalidInput) else None,
        headers,
        error.extra,
    )


def describe(error: Exception) -> Problem:
    """The one mapping of an exception to what the client is told, wherever the request
    came from. An unexpected error is logged for operators and told as a bare 500: never
    a stack trace or SQL."""
    if isinstance(error, WorkforceError):
        return _domain_problem(error)
    if isinstance(error, HTTPException):
        return _http_problem(error)
    current_app.logger.exception("unhandled error", exc_info=error)
    if isinstance(error, DBAPIError):
        transient = database_problem(error)
        if transient is not None:
            return transient
    return Problem(500, "Internal server error", "an unexpected error occurred", "internal_error")


def database_problem(error: DBAPIError) -> Problem | None:
    """The 503 for a transient database failure (busy, or unavailable), else None."""
    if is_concurrency_error(error):
        return Problem(
            503,
            "Service unavailable",
            "the database is busy; retry the request",
            "database_busy",
            headers={"Retry-After": "1"},
        )
    if is_unavailable_error(error):
        return Problem(
            503,
            "Service unavailable",
            "the database is unavailable; retry the request later",
            "database_unavailable",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    return None


def is_concurrency_error(error: DBAPIError) -> bool:
    """Serialization failures, deadlocks and SQLite's busy errors: safe to retry."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    # serialization failure, deadlock, lock timeout (SET LOCAL lock_timeout)
    if sqlstate in ("40001", "40P01", "55P03"):
        return True
    return "database is locked" in str(getattr(error, "orig", "")).lower()


#: Seconds a client should wait before retrying after ``database_unavailable``.
UNAVAILABLE_RETRY_AFTER = 5
#: SQLite's primary result codes of a file that cannot be written now: READONLY, IOERR,
#: FULL, CANTOPEN (a read-only or immutable file, a full or failing disk).
SQLITE_UNAVAILABLE = {8, 10, 13, 14}
#: PostgreSQL SQLSTATE classes and codes of a server that cannot serve now: connection
#: exceptions, insufficient resources (disk full, too many connections), operator
#: intervention (shutdown, starting up), system errors (I/O), and a read-only transaction
#: (a standby after a fail-over).
POSTGRES_UNAVAILABLE = ("08", "53", "57P", "58", "25006")


def is_unavailable_error(error: DBAPIError) -> bool:
    """The database cannot be reached or written for now: transient, not a bug."""
    if error.connection_invalidated:
        return True
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_UNAVAILABLE
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:  # psycopg could not connect or lost the connection
        return isinstance(error, OperationalError | InterfaceError)
    return sqlstate.startswith(POSTGRES_UNAVAILABLE)


def _as_problem_json(error: Exception) -> Response:
    return problem_response(describe(error))


def register_error_handlers(app: Flask) -> None:
    """Every error as problem+json (portal pages render the same :func:`describe` as HTML).
    HTTPException by name, so that ours replaces smorest's handler."""
    for kind in (HTTPException, Exception):
        app.register_error_handler(kind, _as_problem_json)
