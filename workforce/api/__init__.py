"""The HTTP API: one module per resource, each a flask-smorest blueprint."""

from __future__ import annotations

from workforce.api import (
    audit,
    checkins,
    contractors,
    credentials,
    health,
    identity,
    me,
    queues,
    referrals,
    wellbeing_rotations,
)
from workforce.extensions import Api

BLUEPRINTS = (
    health.blp,
    identity.blp,
    me.blp,
    contractors.blp,
    credentials.blp,
    queues.blp,
    checkins.blp,
    referrals.blp,
    wellbeing_rotations.blp,
    audit.blp,
)


def register(api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
