"""The request boundary: one transaction per request, and headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, g, request
from sqlalchemy.exc import DBAPIError, IntegrityError

from workforce.errors import is_concurrency_error, problem

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: The API serves JSON only; the docs UI needs its own scripts and styles.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def finish_request(response: Response) -> Response:
    """Commit if the view succeeded, roll back otherwise; a failed commit becomes a problem."""
    session = g.pop("db_session", None)
    if session is not None:
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        except IntegrityError:
            session.rollback()
            response = problem(
                409, "Conflict", "the change conflicts with existing data", "integrity_conflict"
            )
        except DBAPIError as error:
            session.rollback()
            if not is_concurrency_error(error):
                raise
            response = problem(
                503,
                "Service unavailable",
                "the database is busy; retry the request",
                "database_busy",
                headers={"Retry-After": "1"},
            )
        finally:
            session.close()
    return response


def close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        # Nearly every answer names a person: never let a proxy or browser keep it.
        response.headers.setdefault("Cache-Control", "no-store")
        if not request.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", API_CSP)
    return response


def init_app(app: Flask) -> None:
    # Flask runs after_request functions in reverse order of registration:
    # the transaction is settled first, then the headers go on the final response.
    app.after_request(add_headers)
    app.after_request(finish_request)
    app.teardown_request(close_session)
