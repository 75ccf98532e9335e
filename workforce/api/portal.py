"""Portal invites: ``POST /contractors/{id}/portal-invite`` (the portal itself is HTML).

The link goes to the contractor's own email through the outbox and is never in the answer,
whether or not they have an account yet: whoever holds the link can choose the password and
then read the contractor's check-ins, so staff never see it.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.openapi import problems
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity import accounts as services
from workforce.identity.access import roles

blp = Blueprint(
    "portal_invites", __name__, url_prefix="/api/v1", description="Contractor portal invites"
)


class PortalInviteSchema(ma.Schema):
    contractor_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(
        required=True,
        metadata={
            "description": "portal.invite (no account yet) or portal.password_reset (the "
            "current password keeps working until the link is used)"
        },
    )
    sent_to = ma.fields.String(
        required=True, metadata={"description": "the contractor's email, masked: j***@example.com"}
    )
    expires_at = ma.fields.DateTime(required=True)


@blp.route("/contractors/<int:contractor_id>/portal-invite")
class PortalInvite(MethodView):
    @roles("admin", "ops")
    @blp.response(201, PortalInviteSchema)
    @problems("contractor_offboarded", "email_recently_changed")
    def post(self, contractor_id: int) -> dict[str, Any]:
        """Email the contractor a link to the portal that works once, for 7 days by default.

        Without an account it is an invite; with one, a password reset that changes nothing
        until the contractor uses it. The link goes only to their own email (the answer
        says where, masked); a newer link replaces older unused ones.
        """
        sent = services.send_portal_link(
            db.session(), contractor_id, created_by=access.principal().token_id
        )
        return {
            "contractor_id": contractor_id,
            "kind": sent.kind,
            "sent_to": sent.sent_to,
            "expires_at": sent.invite.expires_at,
        }
