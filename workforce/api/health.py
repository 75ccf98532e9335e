"""``GET /api/v1/health``: liveness; ``GET /api/v1/health/ready``: readiness. No token."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from workforce import db
from workforce.api.readiness import readiness
from workforce.extensions import Blueprint

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Service health")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True)


class CheckSchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    detail = ma.fields.String()
    last_heartbeat_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.List(ma.fields.String())


class ReadySchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": ["ok", "degraded", "unavailable"]})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(CheckSchema))


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Is the process up? (No token needed; touches nothing else.)"""
        return {"status": "ok"}


@blp.route("/health/ready")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, schema=ReadySchema, description="The database does not answer.")
    def get(self) -> tuple[dict[str, Any], int]:
        """Can this host serve? 503 when its database does not answer (take it out of the
        load balancer); 200 otherwise, with ``status`` ``degraded`` when the scheduler is
        silent, a job is overdue, or (PostgreSQL) exposure events wait in the default
        partition for their month's (alert an operator). No token needed."""
        found = readiness(current_app, db.utcnow())
        return {"status": found.status, "checks": found.checks}, 200 if found.ready else 503
