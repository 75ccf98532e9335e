"""Tokens, roles and the current principal.

A token is an opaque random string (``wf_`` + 256 random bits) shown once; only its
SHA-256 is stored. Every API view declares the roles that may call it with
:func:`roles`; a contractor token sees only its own contractor (see :func:`own`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec

from flask import Response, current_app, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from workforce import audit, db
from workforce.contractors.services import get_contractor
from workforce.db import get_db, utcnow, write_unless_busy
from workforce.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
    WorkforceError,
)
from workforce.http import reject_nul_characters
from workforce.identity.models import Token
from workforce.notifications.services import notify_once
from workforce.ratelimit import FailureLimit, failures

ROLES = ("admin", "ops", "compliance", "wellbeing", "contractor", "ingest")
TOKEN_PREFIX = "wf_"
#: How stale ``last_used_at`` may get before a request refreshes it (saves a write per call).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

P = ParamSpec("P")


@dataclass(frozen=True)
class Principal:
    token_id: int | None
    role: str
    name: str
    contractor_id: int | None = None


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    contractor_id: int | None = None,
    expires_at: dt.datetime | None = None,
    created_by: int | None = None,
) -> tuple[Token, str]:
    """Create a token; returns the row and the raw secret (shown once, never stored)."""
    if role not in ROLES:
        raise InvalidInput.field("role", f"must be one of {', '.join(ROLES)}")
    if role == "contractor" and contractor_id is None:
        raise InvalidInput.field("contractor_id", "a contractor token needs a contractor")
    if role != "contractor" and contractor_id is not None:
        raise InvalidInput.field("contractor_id", "only contractor tokens name a contractor")
    if contractor_id is not None:
        contractor = get_contractor(session, contractor_id, field="contractor_id")
        if contractor.status == "offboarded":
            raise InvalidInput.field("contractor_id", "the contractor is offboarded")
    now = utcnow()
    longest = dt.timedelta(days=current_app.config["TOKEN_TTL_DAYS"])
    if expires_at is None:
        expires_at = now + longest
    elif expires_at <= now:
        raise InvalidInput.field("expires_at", "must be in the future")
    elif expires_at > now + longest:
        # a stolen token (or session) must not mint one that outlives everyone
        raise InvalidInput.field(
            "expires_at", f"must be at most {longest.days} days ahead (WORKFORCE_TOKEN_TTL_DAYS)"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token(
        name=name,
        role=role,
        contractor_id=contractor_id,
        token_hash=hash_token(raw),
        hint=raw[:8],
        created_at=now,
        created_by_token_id=created_by,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        "token.create",
        "token",
        token.id,
        {"name": name, "role": role, "contractor_id": contractor_id},
    )
    _tell_contractor(session, token, "account.token_created")
    return token, raw


def _tell_contractor(session: Session, token: Token, kind: str) -> None:
    """A contractor token can read that person's health data: they hear of every change."""
    if token.contractor_id is None:
        return
    notify_once(
        session,
        kind=kind,
        audience="contractor",
        contractor_id=token.contractor_id,
        dedupe_key=f"{kind}:{token.id}",
        payload={
            "token_id": token.id,
            "name": token.name,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )


def revoke_token(session: Session, token_id: int, *, contractor_id: int | None = None) -> Token:
    """Revoke a token (idempotent). With ``contractor_id``, only one of that contractor's:
    anyone else's is a 404, as if it did not exist."""
    token = session.get(Token, token_id)
    if token is None or (contractor_id is not None and token.contractor_id != contractor_id):
        raise NotFound(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, "token.revoke", "token", token.id, {"name": token.name})
        _tell_contractor(session, token, "account.token_revoked")
    session.flush()
    return token


def tokens_query(
    *, role: str | None = None, contractor_id: int | None = None, include_revoked: bool = False
) -> Select[tuple[Token]]:
    stmt = select(Token).order_by(Token.id)
    if role:
        stmt = stmt.where(Token.role == role)
    if contractor_id:
        stmt = stmt.where(Token.contractor_id == contractor_id)
    if not include_revoked:
        stmt = stmt.where(Token.revoked_at.is_(None))
    return stmt


def revoke_contractor_tokens(session: Session, contractor_id: int) -> int:
    """Revoke every live token of a contractor at once (offboarding)."""
    result = session.execute(
        update(Token)
        .where(Token.contractor_id == contractor_id, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _reject(raw: str, detail: str) -> WorkforceError:
    """Count a failed token for the client and for the secret it presented; past the limit
    the answer is 429 instead of 401. Only failures are counted or refused, so a valid
    token is never locked out by other people's guesses."""
    limit = FailureLimit("auth", current_app.config["AUTH_FAILURES_PER_MINUTE"], 60)
    wait = failures().fail(limit, f"client:{request.remote_addr or '?'}", f"secret:{raw}")
    if wait:
        return TooManyRequests(
            "too many failed authentications; try again later", extra={"retry_after": wait}
        )
    return Unauthorized(detail, code="invalid_token")


def authenticate() -> Principal:
    """The principal of this request, from ``Authorization: Bearer <token>``."""
    cached: Principal | None = g.get("principal")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if not header:
        raise Unauthorized("this endpoint needs a bearer token", code="missing_token")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise _reject(raw, "the Authorization header must be 'Bearer wf_...'")
    database = get_db()
    now = utcnow()
    with database.reader() as sess:
        token = sess.scalar(select(Token).where(Token.token_hash == hash_token(raw)))
    if token is None or not token.is_active(now):
        raise _reject(raw, "the token is unknown, expired or revoked")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Its own short transaction, so a read request stays a read transaction; skipped
        # when another writer holds the database (a later request records it): a read
        # must not wait for a write lock, nor a write spend its budget on this one.
        write_unless_busy(
            database, update(Token).where(Token.id == token.id).values(last_used_at=now)
        )
    principal = Principal(token.id, token.role, token.name, token.contractor_id)
    g.principal = principal
    return principal


def roles(
    *allowed: str,
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, Response]]:
    """Let only these roles call the view, in the request's transaction
    (:func:`workforce.db.commit_request`); the allowed set is kept for the access matrix."""
    unknown = set(allowed) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, Response]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            principal = authenticate()
            if principal.role not in allowed:
                raise Forbidden(
                    f"the {principal.role} role may not do this", code="role_not_allowed"
                )
            reject_nul_characters()
            # The request's transaction boundary, the same as every portal route's.
            return db.commit_request(lambda: view(*args, **kwargs))

        wrapper.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def principal() -> Principal:
    """The authenticated principal (call inside a view decorated with :func:`roles`)."""
    return authenticate()


def own(contractor_id: int, asked: str | None = None) -> None:
    """A contractor token may only reach its own contractor; others get a plain 404 that
    names what was asked for (``asked``, e.g. ``"credential 6"``), never the owner: the
    answer to ``GET /credentials/6`` must not say whose credential it is."""
    current = authenticate()
    if current.role == "contractor" and current.contractor_id != contractor_id:
        raise NotFound(f"{asked or f'contractor {contractor_id}'} does not exist")


def me() -> int:
    """The contractor id of a contractor token (for ``/me/...`` views)."""
    current = authenticate()
    if current.role != "contractor" or current.contractor_id is None:
        raise Forbidden("only a contractor token has a /me", code="not_a_contractor")
    return current.contractor_id
