"""Portal invites: ``POST /contractors/{id}/portal-invite`` (the portal itself is HTML)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import auth, db
from workforce.auth import roles
from workforce.extensions import Blueprint
from workforce.portal import services

blp = Blueprint(
    "portal_invites", __name__, url_prefix="/api/v1", description="Contractor portal invites"
)


class PortalInviteSchema(ma.Schema):
    contractor_id = ma.fields.Integer(required=True)
    url = ma.fields.String(
        required=True,
        metadata={"description": "one-time link to set a password; shown only in this answer"},
    )
    expires_at = ma.fields.DateTime(required=True)


@blp.route("/contractors/<int:contractor_id>/portal-invite")
class PortalInvite(MethodView):
    @roles("admin", "ops")
    @blp.response(201, PortalInviteSchema)
    def post(self, contractor_id: int) -> dict[str, Any]:
        """Invite the contractor to the portal: a link that works once, for 7 days by default.

        A newer invite replaces older unused ones; inviting someone who already has a
        password lets them choose a new one (and ends their sessions when they do).
        """
        invite, url = services.create_invite(
            db.session(), contractor_id, created_by=auth.principal().token_id
        )
        return {"contractor_id": invite.contractor_id, "url": url, "expires_at": invite.expires_at}
