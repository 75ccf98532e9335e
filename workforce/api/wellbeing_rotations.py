"""Stepping off sensitive work: ``POST /me/rotation-request`` (a contractor) and
``/wellbeing-rotations`` (counsellors). Both start a rotation at once; ops see its reason and
dates through the rotations, never the note."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import InputSchema, PageArgs, Timestamp, page_schema, paginate
from workforce.api.openapi import problems
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.wellbeing import access_log, support
from workforce.wellbeing.models import RotationNote

blp = Blueprint(
    "wellbeing_rotations",
    __name__,
    url_prefix="/api/v1",
    description="Wellbeing and self-requested rotations",
)


class PersonalRotationSchema(ma.Schema):
    """A rotation seen from its private side (dumped from its ``RotationNote``)."""

    id = ma.fields.Integer(attribute="rotation.id", metadata={"description": "the rotation's id"})
    contractor_id = ma.fields.Integer()
    reason = ma.fields.String(attribute="rotation.reason")
    status = ma.fields.String(attribute="rotation.status")
    started_at = ma.fields.DateTime(attribute="rotation.started_at")
    ends_at = ma.fields.DateTime(attribute="rotation.ends_at")
    note = ma.fields.String(
        attribute="details",
        allow_none=True,
        metadata={"description": "private: the contractor and counsellors only"},
    )
    created_at = ma.fields.DateTime(attribute="rotation.created_at")


class RotationRequestSchema(InputSchema):
    days = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(support.SELF_REQUEST_MIN_DAYS, support.SELF_REQUEST_MAX_DAYS),
        metadata={"description": "how long to step off tier 2 and 3 queues, from now"},
    )
    reason = ma.fields.String(
        validate=ma.validate.Length(1, 2000),
        metadata={"description": "optional; seen by counsellors, never by ops"},
    )


class WellbeingRotationCreateSchema(InputSchema):
    contractor_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 2**31 - 1))
    days = ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(1, support.WELLBEING_ROTATION_MAX_DAYS),
        metadata={"description": "from now; give days or ends_at"},
    )
    ends_at = Timestamp(metadata={"description": "give days or ends_at"})
    details = ma.fields.String(
        validate=ma.validate.Length(1, 4000),
        metadata={"description": "private to counsellors; ops see only reason and dates"},
    )


class WellbeingRotationListArgs(PageArgs):
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))
    active = ma.fields.Boolean(metadata={"description": "only those in force now"})


@blp.route("/me/rotation-request")
class MyRotationRequest(MethodView):
    @roles("contractor")
    @blp.arguments(RotationRequestSchema)
    @blp.response(201, PersonalRotationSchema)
    @problems("contractor_offboarded", "rotation_active")
    def post(self, data: dict[str, Any]) -> RotationNote:
        """Step off tier 2 and 3 queues from now, for 1 to 14 days. Pay and eligibility for
        other work do not change."""
        return support.request_rotation(
            db.session(), access.me(), data["days"], data.get("reason"), db.utcnow()
        )


@blp.route("/wellbeing-rotations")
class WellbeingRotations(MethodView):
    @roles("wellbeing")
    @blp.arguments(WellbeingRotationListArgs, location="query")
    @blp.response(200, page_schema(PersonalRotationSchema, "PersonalRotationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Wellbeing and self-requested rotations with their notes (logged in the access log)."""
        session = db.session(write=True)
        stmt = support.rotation_notes_query(
            contractor_id=args.get("contractor_id"),
            active_at=db.utcnow() if args.get("active") else None,
        )
        page = paginate(session, stmt, args["page"], args["page_size"])
        access_log.record_reads(session, "rotation_list", (n.contractor_id for n in page["items"]))
        return page

    @roles("wellbeing")
    @blp.arguments(WellbeingRotationCreateSchema)
    @blp.response(201, PersonalRotationSchema)
    @problems("contractor_offboarded", "rotation_active")
    def post(self, data: dict[str, Any]) -> RotationNote:
        """Place a wellbeing rotation from now: ops see reason ``wellbeing`` and the dates."""
        return support.place_wellbeing_rotation(
            db.session(),
            contractor_id=data["contractor_id"],
            now=db.utcnow(),
            days=data.get("days"),
            ends_at=data.get("ends_at"),
            details=data.get("details"),
        )
