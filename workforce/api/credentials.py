"""Credentials: under a contractor, by id, their decisions, and ``/me/credentials``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    LocaleArgs,
    OptionalReasonSchema,
    PageArgs,
    ReasonSchema,
    page_schema,
    paginate,
)
from workforce.api.openapi import problems
from workforce.contractors import credentials as service
from workforce.contractors.models import CREDENTIAL_KINDS, CREDENTIAL_STATUSES, Credential
from workforce.contractors.services import get_contractor
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import roles

blp = Blueprint("credentials", __name__, url_prefix="/api/v1", description="Credentials")

STAFF_READ = ("admin", "ops", "compliance")


class CredentialSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": list(CREDENTIAL_KINDS)})
    code = ma.fields.String()
    field = ma.fields.String(allow_none=True)
    issuer = ma.fields.String(allow_none=True)
    issued_on = ma.fields.Date(allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)
    evidence_ref = ma.fields.String(allow_none=True)
    status = ma.fields.Method(
        "current_status",
        metadata={"enum": list(CREDENTIAL_STATUSES), "description": "expired is derived"},
    )
    status_reason = ma.fields.String(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()

    def current_status(self, credential: Credential) -> str:
        return credential.status_at(db.utcnow())


def _opt_text(max_len: int) -> ma.fields.String:
    return ma.fields.String(allow_none=True, validate=ma.validate.Length(1, max_len))


class CredentialPatchSchema(InputSchema):
    kind = ma.fields.String(validate=ma.validate.OneOf(CREDENTIAL_KINDS))
    code = ma.fields.String(validate=ma.validate.Length(2, 40))
    field = _opt_text(200)
    issuer = _opt_text(200)
    issued_on = ma.fields.Date(allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)
    evidence_ref = _opt_text(500)


class CredentialCreateSchema(CredentialPatchSchema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(CREDENTIAL_KINDS))
    code = ma.fields.String(required=True, validate=ma.validate.Length(2, 40))


class CredentialListArgs(PageArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(CREDENTIAL_KINDS))
    status = ma.fields.String(validate=ma.validate.OneOf(CREDENTIAL_STATUSES))
    expiring_within_days = ma.fields.Integer(validate=ma.validate.Range(0, 366))
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))


class OwnCredentialListArgs(PageArgs):
    pass


CredentialPage = page_schema(CredentialSchema, "CredentialPage")


def _list(args: dict[str, Any], contractor_id: int | None) -> dict[str, Any]:
    stmt = service.credentials_query(
        contractor_id=contractor_id if contractor_id is not None else args.get("contractor_id"),
        kind=args.get("kind"),
        status=args.get("status"),
        expiring_within_days=args.get("expiring_within_days"),
    )
    return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/contractors/<int:contractor_id>/credentials")
class ContractorCredentials(MethodView):
    @roles(*STAFF_READ, "contractor")
    @blp.arguments(CredentialListArgs, location="query")
    @blp.response(200, CredentialPage)
    def get(self, args: dict[str, Any], contractor_id: int) -> dict[str, Any]:
        """A contractor's credentials, with expiry derived at this instant."""
        access.own(contractor_id)
        get_contractor(db.session(), contractor_id)
        return _list(args, contractor_id)

    @roles("admin", "ops")
    @blp.arguments(CredentialCreateSchema)
    @blp.response(201, CredentialSchema)
    @problems("contractor_offboarded")
    def post(self, data: dict[str, Any], contractor_id: int) -> Credential:
        """Record a credential for a contractor; it starts ``pending``."""
        return service.submit_credential(db.session(), contractor_id, data)


@blp.route("/credentials")
class Credentials(MethodView):
    @roles(*STAFF_READ)
    @blp.arguments(CredentialListArgs, location="query")
    @blp.response(200, CredentialPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """All credentials; ``?expiring_within_days=30`` lists what needs renewing."""
        return _list(args, None)


@blp.route("/credentials/<int:credential_id>")
class CredentialItem(MethodView):
    @roles(*STAFF_READ, "contractor")
    @blp.response(200, CredentialSchema)
    def get(self, credential_id: int) -> Credential:
        """One credential."""
        credential = service.get_credential(db.session(), credential_id)
        access.own(credential.contractor_id, f"credential {credential_id}")
        return credential

    @roles("admin", "ops")
    @blp.arguments(CredentialPatchSchema)
    @blp.response(200, CredentialSchema)
    @problems("credential_decided")
    def patch(self, changes: dict[str, Any], credential_id: int) -> Credential:
        """Correct a pending credential (decided ones are replaced, never edited)."""
        return service.update_credential(db.session(), credential_id, changes)


def _decision(action: str, body: type[ma.Schema] | None) -> type[MethodView]:
    class Decision(MethodView):
        @roles("admin", "ops")
        @blp.arguments(body or ReasonSchema, required=body is None)
        @blp.response(200, CredentialSchema)
        @problems("invalid_transition")
        def post(self, data: dict[str, Any], credential_id: int) -> Credential:
            return service.decide(db.session(), credential_id, action, data.get("reason"))

    Decision.post.__doc__ = {
        "verify": "Verify a pending credential.",
        "reject": "Reject a pending credential, saying why.",
        "revoke": "Revoke a verified credential, saying why.",
    }[action]
    Decision.__name__ = f"Credential{action.title()}"
    return Decision


blp.route("/credentials/<int:credential_id>/verify")(_decision("verify", OptionalReasonSchema))
blp.route("/credentials/<int:credential_id>/reject")(_decision("reject", None))
blp.route("/credentials/<int:credential_id>/revoke")(_decision("revoke", None))


class MyCredentialArgs(OwnCredentialListArgs, LocaleArgs):
    """OwnCredentialListArgs and ``?locale=``."""


@blp.route("/me/credentials")
class MyCredentials(MethodView):
    @roles("contractor")
    @blp.arguments(MyCredentialArgs, location="query")
    @blp.response(200, CredentialPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My credentials."""
        return _list({"page": args["page"], "page_size": args["page_size"]}, access.me())

    @roles("contractor")
    @blp.arguments(CredentialCreateSchema)
    @blp.response(201, CredentialSchema)
    @problems("contractor_offboarded")
    def post(self, data: dict[str, Any]) -> Credential:
        """Submit a credential of mine for verification."""
        return service.submit_credential(db.session(), access.me(), data)
