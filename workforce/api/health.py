"""``GET /api/v1/health``: liveness for load balancers, no authentication."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from workforce.extensions import Blueprint

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Service health")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True)


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Is the API up? (No token needed.)"""
        return {"status": "ok"}
