"""One way to build test data: contractors, queues, shifts and tokens.

Each factory writes where it is told: to the test's ``app`` (a transaction of its own,
committed) or to an open ``Session`` (the caller's transaction, for instance a hypothesis
example that is rolled back). Keyword arguments default to a valid row; any other field the
service accepts passes through. Factories return ids, which is what callers pass on; a
token also comes with its raw secret. ``post_queue`` is the HTTP flavour, for tests that
build their data through the API on purpose.

Names, emails and slugs are numbered, and the numbers restart with every test (an autouse
fixture in ``tests/conftest.py``), so a test builds the same data alone or in the suite.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.services import create_contractor
from workforce.identity.access import create_token
from workforce.queues.services import create_queue
from workforce.shifts.models import Shift

T = TypeVar("T")
Target = Flask | Session

_numbers: dict[str, Iterator[int]] = {}


def restart_numbering() -> None:
    _numbers.clear()


def _number(kind: str) -> int:
    return next(_numbers.setdefault(kind, itertools.count(1)))


def _write(target: Target, build: Callable[[Session], T]) -> T:
    if isinstance(target, Session):
        return build(target)
    with target.app_context(), db.transaction(target) as session:
        return build(session)


def make_contractor(target: Target, **fields: Any) -> int:
    """A contractor, through the service: numbered name, email and reference, in Kenya."""
    n = _number("contractor")
    data = {
        "full_name": f"Contractor {n}",
        "email": f"c{n}@example.org",
        "country": "KE",
        "external_ref": f"ext-{n}",
        **fields,
    }
    return _write(target, lambda session: create_contractor(session, data).id)


def queue_fields(*, slug: str | None = None, tier: int = 0, **fields: Any) -> dict[str, Any]:
    """A queue's fields: a numbered slug, a name from the slug, and above tier 0 the
    category that sensitive work needs."""
    slug = slug or f"queue-{_number('queue')}"
    return {
        "slug": slug,
        "name": slug.replace("-", " ").capitalize(),
        "tier": tier,
        "categories": ["violence_gore"] if tier else [],
        **fields,
    }


def make_queue(target: Target, **fields: Any) -> int:
    """A queue, through the service (fields as :func:`queue_fields`)."""
    data = queue_fields(**fields)
    return _write(target, lambda session: create_queue(session, data).id)


def post_queue(client: FlaskClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A queue, through ``POST /api/v1/queues``; returns the created queue's body."""
    response = client.post("/api/v1/queues", json=queue_fields(**fields), headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def make_shift(
    target: Target,
    contractor_id: int | None,
    queue_id: int,
    starts_at: dt.datetime,
    *,
    hours: float = 4,
    ends_at: dt.datetime | None = None,
    clocked: bool = False,
    **fields: Any,
) -> int:
    """A shift row as stored, past the planning rules (the API and ``create_shift`` are
    where those are tested): ``hours`` long unless ``ends_at`` is given, open when
    ``contractor_id`` is None. ``clocked``: clocked in at the start once in progress, and
    out at the end once completed, as a worked shift is."""
    # in UTC: adding hours to a zoned datetime adds wall-clock time, off by the DST change
    end = ends_at or starts_at.astimezone(dt.UTC) + dt.timedelta(hours=hours)
    status = fields.setdefault("status", "scheduled")
    if clocked:
        worked = status in ("in_progress", "completed")
        fields.setdefault("clock_in_at", starts_at if worked else None)
        fields.setdefault("clock_out_at", end if status == "completed" else None)

    def add(session: Session) -> int:
        shift = Shift(
            contractor_id=contractor_id,
            queue_id=queue_id,
            starts_at=starts_at,
            ends_at=end,
            **fields,
        )
        session.add(shift)
        session.flush()
        return shift.id

    return _write(target, add)


class IssuedToken(NamedTuple):
    id: int
    raw: str


def make_token(
    target: Target, role: str, *, contractor_id: int | None = None, name: str | None = None
) -> IssuedToken:
    """A token of ``role`` (a contractor token names its contractor). Writing to a session
    needs an app context, as the service reads the token lifetime from the config."""

    def issue(session: Session) -> IssuedToken:
        token, raw = create_token(
            session, name=name or f"test {role}", role=role, contractor_id=contractor_id
        )
        return IssuedToken(token.id, raw)

    return _write(target, issue)
