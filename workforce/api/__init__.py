"""The HTTP API: one module per resource, each a flask-smorest blueprint."""

from __future__ import annotations

from flask import Flask

from workforce.api import (
    audit,
    calendar_feed,
    contractors,
    credentials,
    exposure,
    health,
    identity,
    me,
    notifications,
    policies,
    queues,
    rotations,
    scheduler,
    schedules,
    shifts,
)
from workforce.extensions import Api

BLUEPRINTS = (
    health.blp,
    identity.blp,
    me.blp,
    contractors.blp,
    credentials.blp,
    queues.blp,
    notifications.blp,
    scheduler.blp,
    shifts.blp,
    schedules.blp,
    exposure.blp,
    policies.blp,
    rotations.blp,
    audit.blp,
)


def register(api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)


def register_plain(app: Flask) -> None:
    """Routes outside the API and its document (no bearer token): the calendar feed."""
    app.register_blueprint(calendar_feed.blp)
