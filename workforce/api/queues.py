"""Queues and eligibility: ``/queues``, ``/contractors/{id}/eligibility``, ``/me/eligibility``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    LocaleArgs,
    PageArgs,
    QuerySchema,
    Timestamp,
    page_schema,
    paginate,
)
from workforce.api.exposure import TierStandingSchema
from workforce.api.openapi import problems
from workforce.contractors.models import CREDENTIAL_KINDS
from workforce.eligibility import check as eligibility
from workforce.extensions import Blueprint
from workforce.harm import HARM_CATEGORIES
from workforce.identity import access
from workforce.identity.access import roles
from workforce.queues import services
from workforce.queues.models import Queue

blp = Blueprint("queues", __name__, url_prefix="/api/v1", description="Queues and eligibility")


class RequirementSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(CREDENTIAL_KINDS))
    code = ma.fields.String(required=True, validate=ma.validate.Length(2, 40))


class QueueSchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    name = ma.fields.String()
    tier = ma.fields.Integer(metadata={"description": "0 none, 1 low, 2 high, 3 egregious"})
    categories = ma.fields.List(ma.fields.String(metadata={"enum": list(HARM_CATEGORIES)}))
    required_credentials = ma.fields.List(ma.fields.Nested(RequirementSchema))
    language = ma.fields.String(allow_none=True)
    fallback_queue_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class QueuePatchSchema(InputSchema):
    slug = ma.fields.String(
        validate=ma.validate.Regexp(
            services.SLUG_PATTERN, error="lower-case letters, digits and -, 2 to 64 long"
        )
    )
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    tier = ma.fields.Integer(validate=ma.validate.Range(0, 3))
    categories = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(HARM_CATEGORIES)),
        validate=ma.validate.Length(max=len(HARM_CATEGORIES)),
    )
    required_credentials = ma.fields.List(
        ma.fields.Nested(RequirementSchema), validate=ma.validate.Length(max=20)
    )
    language = ma.fields.String(allow_none=True, validate=ma.validate.Length(2, 3))
    fallback_queue_id = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 2**31 - 1))
    active = ma.fields.Boolean()


class QueueCreateSchema(QueuePatchSchema):
    slug = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            services.SLUG_PATTERN, error="lower-case letters, digits and -, 2 to 64 long"
        ),
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    tier = ma.fields.Integer(required=True, validate=ma.validate.Range(0, 3))


class QueueListArgs(PageArgs):
    tier = ma.fields.Integer(validate=ma.validate.Range(0, 3))
    active = ma.fields.Boolean()


class EligibilityArgs(QuerySchema):
    queue = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    at = Timestamp(metadata={"description": "default: now"})


class EligibilityExposureSchema(ma.Schema):
    policy_version = ma.fields.Integer()
    local_day = ma.fields.String(
        metadata={"format": "date", "description": "the contractor's local date at `at`"}
    )
    break_until = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    tiers = ma.fields.List(
        ma.fields.Nested(TierStandingSchema),
        metadata={"description": "the tiers whose limits work on this queue respects (1..tier)"},
    )


class EligibilityDetailsSchema(ma.Schema):
    exposure = ma.fields.Nested(
        EligibilityExposureSchema, metadata={"description": "queues of tier 1 and above"}
    )
    rotation = ma.fields.Dict(metadata={"description": "the active rotation: id and ends_at"})


class EligibilitySchema(ma.Schema):
    contractor_id = ma.fields.Integer()
    queue = ma.fields.String()
    at = ma.fields.DateTime()
    eligible = ma.fields.Boolean()
    reasons = ma.fields.List(ma.fields.String())
    remaining_minutes_today = ma.fields.Integer(allow_none=True)
    details = ma.fields.Nested(EligibilityDetailsSchema)


@blp.route("/queues")
class Queues(MethodView):
    @roles("admin", "ops", "compliance", "ingest")
    @blp.arguments(QueueListArgs, location="query")
    @blp.response(200, page_schema(QueueSchema, "QueuePage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Work queues."""
        stmt = services.queues_query(tier=args.get("tier"), active=args.get("active"))
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles("admin", "ops")
    @blp.arguments(QueueCreateSchema)
    @blp.response(201, QueueSchema)
    @problems("duplicate_slug")
    def post(self, data: dict[str, Any]) -> Queue:
        """Create a queue: tier, harm categories, required credentials, fallback."""
        return services.create_queue(db.session(), data)


@blp.route("/queues/<int:queue_id>")
class QueueItem(MethodView):
    @roles("admin", "ops", "compliance", "ingest")
    @blp.response(200, QueueSchema)
    def get(self, queue_id: int) -> Queue:
        """One queue."""
        return services.get_queue(db.session(), queue_id)

    @roles("admin", "ops")
    @blp.arguments(QueuePatchSchema)
    @blp.response(200, QueueSchema)
    @problems("duplicate_slug", "fallback_in_use")
    def patch(self, changes: dict[str, Any], queue_id: int) -> Queue:
        """Change a queue."""
        return services.update_queue(db.session(), queue_id, changes)


def _eligibility(contractor_id: int, args: dict[str, Any]) -> eligibility.Eligibility:
    return eligibility.check_by_slug(
        db.session(), contractor_id, args["queue"], args.get("at") or db.utcnow()
    )


@blp.route("/contractors/<int:contractor_id>/eligibility")
class ContractorEligibility(MethodView):
    @roles("admin", "ops", "ingest")
    @blp.arguments(EligibilityArgs, location="query")
    @blp.response(200, EligibilitySchema)
    def get(self, args: dict[str, Any], contractor_id: int) -> eligibility.Eligibility:
        """May this contractor take an item from this queue now? With every reason."""
        return _eligibility(contractor_id, args)


class MyEligibilityArgs(EligibilityArgs, LocaleArgs):
    """EligibilityArgs and ``?locale=``."""


@blp.route("/me/eligibility")
class MyEligibility(MethodView):
    @roles("contractor")
    @blp.arguments(MyEligibilityArgs, location="query")
    @blp.response(200, EligibilitySchema)
    def get(self, args: dict[str, Any]) -> eligibility.Eligibility:
        """May I take work from this queue now, and if not, why?"""
        return _eligibility(access.me(), args)
