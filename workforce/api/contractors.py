"""Contractors: ``/contractors``, ``/contractors/{id}``, ``/contractors/{id}/offboard``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    OptionalReasonSchema,
    PageArgs,
    page_schema,
    paginate,
)
from workforce.api.openapi import problems
from workforce.contractors import services
from workforce.contractors.models import CONTRACTOR_STATUSES, Contractor
from workforce.extensions import Blueprint
from workforce.harm import HARM_CATEGORIES
from workforce.identity import access
from workforce.identity.access import roles

blp = Blueprint("contractors", __name__, url_prefix="/api/v1", description="Contractors")

STAFF = ("admin", "ops", "compliance", "wellbeing")


class ContractorSchema(ma.Schema):
    id = ma.fields.Integer()
    external_ref = ma.fields.String(allow_none=True)
    full_name = ma.fields.String()
    email = ma.fields.String()
    country = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-2"})
    subdivision = ma.fields.String(allow_none=True, metadata={"description": "ISO 3166-2"})
    timezone = ma.fields.String(metadata={"description": "IANA time zone"})
    locale = ma.fields.String(metadata={"description": "CLDR locale, e.g. sw_KE"})
    currency = ma.fields.String(metadata={"description": "ISO 4217"})
    status = ma.fields.String(metadata={"enum": list(CONTRACTOR_STATUSES)})
    sensitive_consent_at = ma.fields.DateTime(allow_none=True)
    opt_outs = ma.fields.List(ma.fields.String(metadata={"enum": list(HARM_CATEGORIES)}))
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    offboarded_at = ma.fields.DateTime(allow_none=True)


def _text(max_len: int, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, max_len), **kwargs)


class ContractorPatchSchema(InputSchema):
    external_ref = _text(100, allow_none=True)
    full_name = _text(200)
    email = ma.fields.Email(validate=ma.validate.Length(3, 320))
    country = _text(2)
    subdivision = _text(6, allow_none=True)
    timezone = _text(64)
    locale = _text(20)
    currency = _text(3)
    status = ma.fields.String(validate=ma.validate.OneOf(("active", "suspended")))


class ContractorCreateSchema(ContractorPatchSchema):
    full_name = _text(200, required=True)
    email = ma.fields.Email(required=True, validate=ma.validate.Length(3, 320))
    country = _text(2, required=True)
    status = None  # type: ignore[assignment]  # new contractors start active

    class Meta(InputSchema.Meta):
        exclude = ("status",)


class ContractorListArgs(PageArgs):
    country = ma.fields.String(validate=ma.validate.Length(2, 2))
    status = ma.fields.String(validate=ma.validate.OneOf(CONTRACTOR_STATUSES))
    search = ma.fields.String(validate=ma.validate.Length(1, 200))


@blp.route("/contractors")
class Contractors(MethodView):
    @roles(*STAFF)
    @blp.arguments(ContractorListArgs, location="query")
    @blp.response(200, page_schema(ContractorSchema, "ContractorPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List contractors; filter by country, status, or search name/email/external_ref."""
        stmt = services.list_contractors_query(
            country=args.get("country"), status=args.get("status"), search=args.get("search")
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles("admin", "ops")
    @blp.arguments(ContractorCreateSchema)
    @blp.response(201, ContractorSchema)
    @problems("duplicate_email", "duplicate_external_ref", "confusable_email")
    def post(self, data: dict[str, Any]) -> Contractor:
        """Create a contractor. Timezone, locale and currency default from the country."""
        return services.create_contractor(db.session(), data)


@blp.route("/contractors/<int:contractor_id>")
class ContractorItem(MethodView):
    @roles(*STAFF, "contractor")
    @blp.response(200, ContractorSchema)
    def get(self, contractor_id: int) -> Contractor:
        """One contractor (a contractor token sees only itself)."""
        access.own(contractor_id)
        return services.get_contractor(db.session(), contractor_id)

    @roles("admin", "ops")
    @blp.arguments(ContractorPatchSchema)
    @blp.response(200, ContractorSchema)
    @problems(
        "duplicate_email",
        "duplicate_external_ref",
        "confusable_email",
        "contractor_offboarded",
        "use_offboard_endpoint",
    )
    def patch(self, changes: dict[str, Any], contractor_id: int) -> Contractor:
        """Change a contractor's details or suspend/reactivate them."""
        return services.update_contractor(db.session(), contractor_id, changes)


@blp.route("/contractors/<int:contractor_id>/offboard")
class ContractorOffboard(MethodView):
    @roles("admin", "ops")
    @blp.arguments(OptionalReasonSchema, required=False)
    @blp.response(200, ContractorSchema)
    @problems("already_offboarded")
    def post(self, data: dict[str, Any], contractor_id: int) -> Contractor:
        """Offboard: status ``offboarded`` and every token of the contractor revoked."""
        return services.offboard_contractor(db.session(), contractor_id, data.get("reason"))
