"""Exposure policies: ``POST,GET /exposure-policies``, ``/exposure-policies/current``,
``/exposure-policies/{version}``."""

from __future__ import annotations

from functools import cache
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    PageArgs,
    QuerySchema,
    Timestamp,
    page_schema,
    paginate,
)
from workforce.api.openapi import problems
from workforce.exposure import policy
from workforce.exposure.models import ExposurePolicy
from workforce.extensions import Blueprint
from workforce.harm import MODALITIES
from workforce.identity import access
from workforce.identity.access import roles

blp = Blueprint(
    "policies", __name__, url_prefix="/api/v1", description="Versioned exposure policies"
)

STAFF = ("admin", "ops", "compliance", "wellbeing")


@cache
def _number_schema(low: int, high: int, nullable: bool) -> type[ma.Schema]:
    value = ma.fields.Integer(
        required=True, allow_none=nullable, validate=ma.validate.Range(low, high)
    )
    note = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 300),
        metadata={"description": "one line: where the number comes from"},
    )
    name = f"Limit{low}To{high}{'OrNone' if nullable else ''}"
    return type(name, (InputSchema,), {"value": value, "note": note})


def _section(limits: dict[str, tuple[int, int]], name: str, nullable: bool) -> type[ma.Schema]:
    fields = {
        key: ma.fields.Nested(_number_schema(low, high, nullable), required=True)
        for key, (low, high) in limits.items()
    }
    return type(name, (InputSchema,), fields)


TierRulesSchema = type(
    "TierRules",
    (_section(policy.TIER_LIMITS, "TierLimits", True),),
    {"tier": ma.fields.Integer(required=True, validate=ma.validate.Range(1, 3))},
)


class WeightSchema(InputSchema):
    value = ma.fields.Float(
        required=True,
        validate=ma.validate.Range(*policy.WEIGHT_RANGE),
        metadata={"description": "how much a minute of this modality weighs (reports only)"},
    )
    note = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 300),
        metadata={"description": "one line: where the number comes from"},
    )


ModalityWeightsSchema = type(
    "ModalityWeights",
    (InputSchema,),
    {m: ma.fields.Nested(WeightSchema) for m in MODALITIES},
)
PlannedRotationSchema = _section(policy.PLANNED_ROTATION_LIMITS, "PlannedRotationRules", False)
CheckinSchema = _section(policy.CHECKIN_LIMITS, "CheckinRules", False)


class PolicyCreateSchema(InputSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    effective_from = Timestamp(metadata={"description": "default now; never in the past"})
    tiers = ma.fields.List(
        ma.fields.Nested(TierRulesSchema), required=True, validate=ma.validate.Length(3, 3)
    )
    planned_rotation = ma.fields.Nested(PlannedRotationSchema, required=True)
    checkin = ma.fields.Nested(CheckinSchema, required=True)
    modality_weights = ma.fields.Nested(
        ModalityWeightsSchema,
        metadata={
            "description": "weight of each modality's minutes in the reports' weighted "
            "minutes (never in the limits); a modality not given weighs 1.0"
        },
    )


class PolicySchema(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    name = ma.fields.String()
    effective_from = ma.fields.DateTime()
    tiers = ma.fields.List(ma.fields.Nested(TierRulesSchema))
    planned_rotation = ma.fields.Nested(PlannedRotationSchema)
    checkin = ma.fields.Nested(CheckinSchema)
    modality_weights = ma.fields.Nested(ModalityWeightsSchema)
    created_at = ma.fields.DateTime()


class CurrentArgs(QuerySchema):
    at = Timestamp(metadata={"description": "default now"})


@blp.route("/exposure-policies")
class Policies(MethodView):
    @roles(*STAFF)
    @blp.arguments(PageArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, page_schema(PolicySchema, "PolicyPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every version, oldest first; none is ever removed."""
        session = db.session()
        policy.ensure_default(session)
        return paginate(session, policy.policies_query(), args["page"], args["page_size"])

    @roles("admin", "ops")
    @blp.arguments(PolicyCreateSchema)
    @blp.response(201, PolicySchema)
    @problems("policy_out_of_order")
    def post(self, data: dict[str, Any]) -> ExposurePolicy:
        """A new version, in force from ``effective_from``; each number carries a note."""
        return policy.create_policy(db.session(), data, created_by=access.principal().token_id)


@blp.route("/exposure-policies/current")
class CurrentPolicy(MethodView):
    @roles(*STAFF)
    @blp.arguments(CurrentArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, PolicySchema)
    def get(self, args: dict[str, Any]) -> ExposurePolicy:
        """The version in force now (or at ``at``)."""
        return policy.policy_row_at(db.session(), args.get("at") or db.utcnow())


@blp.route("/exposure-policies/<int:version>")
class PolicyVersion(MethodView):
    @roles(*STAFF)
    @blp.response(200, PolicySchema)
    def get(self, version: int) -> ExposurePolicy:
        """One version, as it was and always will be."""
        return policy.get_policy_version(db.session(), version)
