"""The HTTP API: one module per resource, each a flask-smorest blueprint."""

from __future__ import annotations

from workforce.api import audit, contractors, credentials, health, identity, me, portal, queues
from workforce.extensions import Api

BLUEPRINTS = (
    health.blp,
    identity.blp,
    me.blp,
    contractors.blp,
    credentials.blp,
    queues.blp,
    portal.blp,
    audit.blp,
)


def register(api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
