"""The HTTP API: one module per resource, each a flask-smorest blueprint."""

from __future__ import annotations

from flask import Flask

from workforce.api import (
    audit,
    availability,
    calendar_feed,
    checkins,
    contractors,
    credentials,
    docs,
    exposure,
    health,
    identity,
    me,
    notifications,
    offers,
    openapi,
    pay,
    pay_statements,
    policies,
    portal,
    queues,
    referrals,
    reports,
    rotations,
    scheduler,
    schedules,
    shifts,
    wellbeing_access_log,
    wellbeing_rotations,
)
from workforce.api.common import MoneyString
from workforce.extensions import Api

__all__ = ["openapi", "register", "register_plain"]

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
    availability.blp,
    offers.blp,
    schedules.blp,
    exposure.blp,
    policies.blp,
    checkins.blp,
    referrals.blp,
    wellbeing_rotations.blp,
    wellbeing_access_log.blp,
    pay.blp,
    pay_statements.blp,
    portal.blp,
    reports.blp,
    rotations.blp,
    audit.blp,
)


def register(api: Api) -> None:
    # Money travels as a decimal string ("1234.50"); without this the document says number.
    api.register_field(MoneyString, "string", "decimal")
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)


def register_plain(app: Flask) -> None:
    """Routes outside the API and its document (no bearer token): the calendar feed and
    the documentation's UI."""
    app.register_blueprint(calendar_feed.blp)
    app.register_blueprint(docs.blp)
