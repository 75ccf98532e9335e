"""Rotations: ``POST,GET /rotations``, ``GET /rotations/{id}``, ``/rotations/{id}/end``,
``/rotations/{id}/review``, ``POST /rotations/sweep``, ``GET /me/rotations``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    LocaleArgs,
    PageArgs,
    ReasonSchema,
    Timestamp,
    page_schema,
    paginate,
)
from workforce.api.openapi import problems
from workforce.contractors.models import Contractor
from workforce.errors import InvalidInput, NotFound
from workforce.extensions import MAX_ID, Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.jobs.locks import wait_for_job_lock
from workforce.rotations import services as service
from workforce.rotations.explain import summary
from workforce.rotations.models import (
    REVIEW_STATUSES,
    ROTATION_REASONS,
    ROTATION_STATUSES,
    Rotation,
)
from workforce.rotations.sweep import SWEEP_JOB_ID, sweep

blp = Blueprint("rotations", __name__, url_prefix="/api/v1", description="Rotations")

READ = ("admin", "ops", "compliance", "wellbeing")
MANAGE = ("admin", "ops")


class RotationSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    reason = ma.fields.String(metadata={"enum": list(ROTATION_REASONS)})
    status = ma.fields.String(metadata={"enum": list(ROTATION_STATUSES)})
    started_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    explanation = ma.fields.Dict(
        metadata={"description": "rule, tier, policy_version, measured, limit, unit, window"}
    )
    breach_at = ma.fields.DateTime(allow_none=True)
    shifts_reassigned = ma.fields.Integer()
    shifts_cancelled = ma.fields.Integer()
    ended_at = ma.fields.DateTime(allow_none=True)
    end_reason = ma.fields.String(allow_none=True)
    review_status = ma.fields.String(allow_none=True, metadata={"enum": list(REVIEW_STATUSES)})
    review_comment = ma.fields.String(allow_none=True)
    review_requested_at = ma.fields.DateTime(allow_none=True)
    review_answer = ma.fields.String(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()


class MyRotationSchema(RotationSchema):
    summary = ma.fields.String(metadata={"description": "the explanation in your language"})


class RotationListArgs(PageArgs):
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID))
    reason = ma.fields.String(validate=ma.validate.OneOf(ROTATION_REASONS))
    status = ma.fields.String(validate=ma.validate.OneOf(ROTATION_STATUSES))
    start = Timestamp(data_key="from", metadata={"description": "rotations ending after this"})
    end = Timestamp(data_key="to", metadata={"description": "rotations starting before this"})


class ManualRotationSchema(InputSchema):
    contractor_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1, MAX_ID))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))
    ends_at = Timestamp(metadata={"description": "default: 24 hours from now"})


class ReviewSchema(InputSchema):
    comment = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))
    outcome = ma.fields.String(
        validate=ma.validate.OneOf(("upheld", "overturned")),
        metadata={"description": "ops/admin only: the human outcome"},
    )


class SweepSchema(ma.Schema):
    candidates = ma.fields.Integer()
    rotations = ma.fields.Integer()
    warnings = ma.fields.Integer()
    shifts_reassigned = ma.fields.Integer()
    shifts_cancelled = ma.fields.Integer()


def _visible(rotation: Rotation) -> Rotation:
    access.own(rotation.contractor_id, f"rotation {rotation.id}")
    return rotation


@blp.route("/rotations")
class Rotations(MethodView):
    @roles(*READ)
    @blp.arguments(RotationListArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, page_schema(RotationSchema, "RotationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Rotations, newest first; filter by contractor, reason, status and time."""
        page, size = args.pop("page"), args.pop("page_size")
        return paginate(db.session(), service.rotations_query(**args), page, size)

    @roles(*MANAGE)
    @blp.arguments(ManualRotationSchema)
    @blp.response(201, RotationSchema)
    @problems("contractor_offboarded", "rotation_active")
    def post(self, data: dict[str, Any]) -> Rotation:
        """A manual rotation from now, with a reason; the contractor's shifts move."""
        ends_at = data.get("ends_at")
        now = db.utcnow()
        if ends_at is not None and ends_at <= now:
            raise InvalidInput.field("ends_at", "must be in the future")
        return service.manual_rotation(
            db.session(),
            contractor_id=data["contractor_id"],
            reason=data["reason"],
            ends_at=ends_at,
            now=now,
        )


@blp.route("/rotations/<int:rotation_id>")
class RotationItem(MethodView):
    @roles(*READ, "contractor")
    @blp.response(200, RotationSchema)
    def get(self, rotation_id: int) -> Rotation:
        """One rotation with its explanation."""
        return _visible(service.get_rotation(db.session(), rotation_id))


@blp.route("/rotations/<int:rotation_id>/end")
class EndRotation(MethodView):
    @roles(*MANAGE)
    @blp.arguments(ReasonSchema)
    @blp.response(200, RotationSchema)
    @problems("rotation_ended")
    def post(self, data: dict[str, Any], rotation_id: int) -> Rotation:
        """End an active rotation early, with a reason."""
        return service.end_rotation(db.session(), rotation_id, data["reason"])


@blp.route("/rotations/<int:rotation_id>/review")
class ReviewRotation(MethodView):
    @roles(*MANAGE, "contractor")
    @blp.arguments(ReviewSchema)
    @blp.response(200, RotationSchema)
    @problems("review_exists", "rotation_not_reviewable", "no_review_pending")
    def post(self, data: dict[str, Any], rotation_id: int) -> Rotation:
        """A contractor contests an automated rotation (``comment``); ops or admin answer
        with ``outcome`` (upheld or overturned) and ``comment``."""
        session = db.session()
        principal = access.principal()
        if principal.role == "contractor":
            rotation = _visible(service.get_rotation(session, rotation_id))
            if "outcome" in data:
                raise InvalidInput.field("outcome", "a person at operations decides the outcome")
            return service.request_review(
                session, rotation.id, rotation.contractor_id, data["comment"]
            )
        if "outcome" not in data:
            raise InvalidInput.field("outcome", "required: upheld or overturned")
        return service.answer_review(session, rotation_id, data["outcome"], data["comment"])


@blp.route("/rotations/sweep")
class Sweep(MethodView):
    @roles(*MANAGE)
    @blp.response(200, SweepSchema)
    def post(self) -> dict[str, int]:
        """Run the rotation sweep now and answer what it did. It waits for a sweep already
        running (the scheduler's or another request's) to finish first."""
        session = db.session()
        with wait_for_job_lock(current_app, session, SWEEP_JOB_ID):
            return sweep(session, db.utcnow())


class MyRotationArgs(PageArgs, LocaleArgs):
    """PageArgs and ``?locale=``."""


@blp.route("/me/rotations")
class MyRotations(MethodView):
    @roles("contractor")
    @blp.arguments(MyRotationArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, page_schema(MyRotationSchema, "MyRotationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your rotations, newest first, each explained in your language."""
        session = db.session()
        contractor = session.get(Contractor, access.me())
        if contractor is None:
            raise NotFound("contractor does not exist")
        page = paginate(
            session,
            service.rotations_query(contractor_id=contractor.id),
            args["page"],
            args["page_size"],
        )
        page["items"] = [
            {
                **{name: getattr(item, name) for name in RotationSchema().fields},
                "summary": summary(
                    item, args.get("locale") or contractor.locale, contractor.timezone
                ),
            }
            for item in page["items"]
        ]
        return page
