"""The HTTP API: one module per resource, each a flask-smorest blueprint."""

from __future__ import annotations

from workforce.api import (
    audit,
    contractors,
    credentials,
    health,
    identity,
    me,
    pay,
    pay_statements,
    queues,
)
from workforce.api.common import MoneyString
from workforce.extensions import Api

BLUEPRINTS = (
    health.blp,
    identity.blp,
    me.blp,
    contractors.blp,
    credentials.blp,
    queues.blp,
    pay.blp,
    pay_statements.blp,
    audit.blp,
)


def register(api: Api) -> None:
    # Money travels as a decimal string ("1234.50"); without this the document says number.
    api.register_field(MoneyString, "string", "decimal")
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
