"""Queue rules: tiers, harm categories, required credentials, a safe fallback."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.credentials import normalise_code
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.harm import HARM_CATEGORIES, SENSITIVE_TIER
from workforce.queues.models import Queue

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def get_queue(session: Session, queue_id: int) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"queue {queue_id} does not exist")
    return queue


def missing_queue(slug: str) -> InvalidInput:
    return InvalidInput.field("queue", f"no queue has the slug '{slug}'")


def _validate(session: Session, values: dict[str, Any], queue_id: int | None) -> None:
    tier, categories = values["tier"], values["categories"]
    unknown = sorted(set(categories) - set(HARM_CATEGORIES))
    if unknown:
        raise InvalidInput.field("categories", f"unknown harm categories: {', '.join(unknown)}")
    if len(set(categories)) != len(categories):
        raise InvalidInput.field("categories", "a category is listed twice")
    if tier >= SENSITIVE_TIER and not categories:
        raise InvalidInput.field("categories", f"a tier {tier} queue needs at least one category")
    if tier == 0 and categories:
        raise InvalidInput.field("categories", "a tier 0 queue carries no harm categories")
    required = []
    for index, item in enumerate(values["required_credentials"]):
        code = normalise_code(
            item["kind"], item["code"], field=f"required_credentials.{index}.code"
        )
        entry = {"kind": item["kind"], "code": code}
        if entry in required:
            raise InvalidInput.field(f"required_credentials.{index}", "listed twice")
        required.append(entry)
    values["required_credentials"] = required
    if values.get("language"):
        values["language"] = normalise_code("language", values["language"], field="language")
    fallback_id = values.get("fallback_queue_id")
    if fallback_id is not None:
        if fallback_id == queue_id:
            raise InvalidInput.field("fallback_queue_id", "a queue cannot be its own fallback")
        fallback = session.get(Queue, fallback_id)
        if fallback is None:
            raise InvalidInput.field("fallback_queue_id", f"queue {fallback_id} does not exist")
        if fallback.tier != 0:
            raise InvalidInput.field(
                "fallback_queue_id", "the fallback must be a tier 0 (non-sensitive) queue"
            )
    slug_taken = select(Queue.id).where(Queue.slug == values["slug"])
    if queue_id is not None:
        slug_taken = slug_taken.where(Queue.id != queue_id)
    if session.scalar(slug_taken) is not None:
        raise Conflict(f"the slug '{values['slug']}' is taken", code="duplicate_slug")


def create_queue(session: Session, data: Mapping[str, Any]) -> Queue:
    values = {"categories": [], "required_credentials": [], "active": True, **data}
    _validate(session, values, None)
    queue = Queue(**values)
    session.add(queue)
    session.flush()
    audit.record(
        session,
        "queue.create",
        "queue",
        queue.id,
        {"slug": queue.slug, "tier": queue.tier, "categories": queue.categories},
    )
    return queue


def update_queue(session: Session, queue_id: int, changes: Mapping[str, Any]) -> Queue:
    queue = get_queue(session, queue_id)
    current = {
        name: getattr(queue, name)
        for name in (
            "slug",
            "name",
            "tier",
            "categories",
            "required_credentials",
            "language",
            "fallback_queue_id",
            "active",
        )
    }
    values = {**current, **changes}
    _validate(session, values, queue.id)
    if queue.tier == 0 and values["tier"] != 0:
        used_as_fallback = session.scalar(
            select(Queue.id).where(Queue.fallback_queue_id == queue.id)
        )
        if used_as_fallback is not None:
            raise Conflict(
                "this queue is another queue's fallback and must stay tier 0",
                code="fallback_in_use",
            )
    changed = sorted(name for name in changes if values[name] != current[name])
    for name in changed:
        setattr(queue, name, values[name])
    session.flush()
    if changed:
        audit.record(
            session, "queue.update", "queue", queue.id, {name: values[name] for name in changed}
        )
    return queue


def queues_query(*, tier: int | None = None, active: bool | None = None) -> Select[tuple[Queue]]:
    stmt = select(Queue).order_by(Queue.id)
    if tier is not None:
        stmt = stmt.where(Queue.tier == tier)
    if active is not None:
        stmt = stmt.where(Queue.active.is_(active))
    return stmt
