"""Counsellors' referrals and follow-ups: ``/referrals``, ``/referrals/{id}``,
``/referrals/{id}/follow-ups``. The ``wellbeing`` role only; every read is in the access log."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.checkins import ScoredCheckInSchema
from workforce.api.common import InputSchema, PageArgs, Timestamp, page_schema, paginate
from workforce.api.openapi import problems
from workforce.extensions import Blueprint
from workforce.identity.access import roles
from workforce.wellbeing import access_log, escalation, support
from workforce.wellbeing.models import REFERRAL_STATUSES, FollowUp, Referral

blp = Blueprint(
    "referrals", __name__, url_prefix="/api/v1", description="Counsellors' referrals and follow-ups"
)


class FollowUpSchema(ma.Schema):
    id = ma.fields.Integer()
    referral_id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    counsellor_token_id = ma.fields.Integer(allow_none=True)
    contacted = ma.fields.Boolean()
    contacted_at = ma.fields.DateTime(allow_none=True)
    outcome = ma.fields.String()
    next_date = ma.fields.Date(allow_none=True)
    created_at = ma.fields.DateTime()


class FollowUpCreateSchema(InputSchema):
    contacted = ma.fields.Boolean(
        required=True,
        truthy={True},
        falsy={False},
        metadata={"description": "whether the counsellor reached the contractor"},
    )
    contacted_at = Timestamp(metadata={"description": "default: now, when contacted"})
    outcome = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    next_date = ma.fields.Date(metadata={"description": "when to follow up next"})
    close = ma.fields.Boolean(
        load_default=False,
        truthy={True},
        falsy={False},
        metadata={"description": "close the referral with this follow-up"},
    )


class WorseningSchema(ma.Schema):
    """Why a fall in score opened the referral (counsellors only)."""

    rule = ma.fields.String(metadata={"enum": ["relevant_drop"]})
    instrument = ma.fields.String()
    previous_check_in_id = ma.fields.Integer()
    previous_score = ma.fields.Integer()
    previous_at = ma.fields.String(metadata={"format": "date-time"})
    previous_date = ma.fields.String(
        metadata={"format": "date", "description": "the contractor's local day"}
    )
    new_score = ma.fields.Integer()
    new_at = ma.fields.String(metadata={"format": "date-time"})
    new_date = ma.fields.String(
        metadata={"format": "date", "description": "the contractor's local day"}
    )
    drop = ma.fields.Integer(metadata={"description": "previous_score minus new_score"})
    threshold = ma.fields.Integer(metadata={"description": "the instrument's relevant_drop"})
    source = ma.fields.String(metadata={"description": "the publication of the threshold"})
    text = ma.fields.String(metadata={"description": "the same, as one sentence"})


class ReferralSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(REFERRAL_STATUSES)})
    urgent = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    closed_at = ma.fields.DateTime(allow_none=True)
    acknowledged_at = ma.fields.DateTime(allow_none=True)
    acknowledged_by_token_id = ma.fields.Integer(allow_none=True)
    worsening = ma.fields.Nested(
        WorseningSchema,
        allow_none=True,
        metadata={
            "description": "why a fall in score opened it; null when the check-in's band did"
        },
    )
    check_in = ma.fields.Nested(ScoredCheckInSchema)
    follow_ups = ma.fields.List(ma.fields.Nested(FollowUpSchema))


class AcknowledgementSchema(ma.Schema):
    id = ma.fields.Integer()
    urgent = ma.fields.Boolean()
    acknowledged_at = ma.fields.DateTime()
    acknowledged_by_token_id = ma.fields.Integer(allow_none=True)


class ReferralListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(REFERRAL_STATUSES))
    urgent = ma.fields.Boolean()
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))


@blp.route("/referrals")
class Referrals(MethodView):
    @roles("wellbeing")
    @blp.arguments(ReferralListArgs, location="query")
    @blp.response(200, page_schema(ReferralSchema, "ReferralPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Referrals opened by flagged or worsening check-ins: urgent first, then open, then
        newest."""
        session = db.session(write=True)
        stmt = support.referrals_query(
            status=args.get("status"),
            contractor_id=args.get("contractor_id"),
            urgent=args.get("urgent"),
        )
        page = paginate(session, stmt, args["page"], args["page_size"])
        access_log.record_reads(session, "referral_list", (r.contractor_id for r in page["items"]))
        return page


@blp.route("/referrals/<int:referral_id>")
class ReferralItem(MethodView):
    @roles("wellbeing")
    @blp.response(200, ReferralSchema)
    def get(self, referral_id: int) -> Referral:
        """One referral with its check-in and follow-ups (logged in the access log)."""
        session = db.session(write=True)
        referral = support.get_referral(session, referral_id)
        access_log.record_reads(session, "referral", [referral.contractor_id])
        return referral


@blp.route("/referrals/<int:referral_id>/follow-ups")
class ReferralFollowUps(MethodView):
    @roles("wellbeing")
    @blp.arguments(FollowUpCreateSchema)
    @blp.response(201, FollowUpSchema)
    @problems("referral_closed")
    def post(self, data: dict[str, Any], referral_id: int) -> FollowUp:
        """Record a follow-up: contacted or not, the outcome, the next date; may close it."""
        return support.record_follow_up(db.session(), referral_id, data, db.utcnow())


@blp.route("/referrals/<int:referral_id>/acknowledge")
class ReferralAcknowledge(MethodView):
    @roles("wellbeing")
    @blp.response(200, AcknowledgementSchema)
    @problems("referral_closed")
    def post(self, referral_id: int) -> Referral:
        """Take the referral on: an urgent one stops escalating (the first one stands)."""
        return escalation.acknowledge(db.session(), referral_id, db.utcnow())
