"""Wellbeing check-ins: ``/instruments``, ``/me/checkins``, ``/checkins``, ``/checkins/{id}``.

Answers and scores reach only the contractor they belong to and the ``wellbeing`` role;
every other role gets 403 (admin included, by design: README, "Wellbeing and privacy").
Each read by a counsellor goes to the counsellor-only access log: who, whose, when, never
the values.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from workforce import db
from workforce.api.common import InputSchema, LocaleArgs, PageArgs, page_schema, paginate
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import ROLES, roles
from workforce.wellbeing import access_log
from workforce.wellbeing import checkins as service
from workforce.wellbeing.models import CheckIn
from workforce.wellbeing.screening import INSTRUMENTS

blp = Blueprint("checkins", __name__, url_prefix="/api/v1", description="Wellbeing check-ins")

INSTRUMENT_KEYS = list(INSTRUMENTS)
#: The largest questionnaire has 20 items; anything far beyond is not an answer sheet.
MAX_ANSWERS = 100


class BandSchema(ma.Schema):
    name = ma.fields.String()
    low = ma.fields.Integer()
    high = ma.fields.Integer()


class InstrumentSchema(ma.Schema):
    key = ma.fields.String(metadata={"enum": INSTRUMENT_KEYS})
    name = ma.fields.String()
    short_name = ma.fields.String()
    stem = ma.fields.String()
    items = ma.fields.List(ma.fields.String(), metadata={"description": "in published order"})
    min_value = ma.fields.Integer(metadata={"description": "lowest answer to one item"})
    max_value = ma.fields.Integer(metadata={"description": "highest answer to one item"})
    answer_labels = ma.fields.List(ma.fields.String())
    score_min = ma.fields.Integer(metadata={"description": "lowest reported score"})
    score_max = ma.fields.Integer(metadata={"description": "highest reported score"})
    bands = ma.fields.List(ma.fields.Nested(BandSchema))
    flagged_bands = ma.fields.List(
        ma.fields.String(), metadata={"description": "bands that open a referral"}
    )
    attribution = ma.fields.String()
    licence_note = ma.fields.String()
    relevant_drop = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "a fall of the score by at least this much since the previous "
            "check-in on this instrument opens a referral (WHO-5: 10); null: none"
        },
    )
    relevant_drop_source = ma.fields.String(
        allow_none=True, metadata={"description": "the publication relevant_drop comes from"}
    )

    @ma.post_dump
    def _bands_in_order(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        # flagged_bands is a set: list it in the bands' own order, the same on every call.
        flagged = set(data["flagged_bands"])
        data["flagged_bands"] = [b["name"] for b in data["bands"] if b["name"] in flagged]
        return data


class CheckInCreateSchema(InputSchema):
    instrument = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(INSTRUMENT_KEYS),
        metadata={"enum": INSTRUMENT_KEYS},
    )
    answers = ma.fields.List(
        ma.fields.Integer(strict=True),
        required=True,
        validate=ma.validate.Length(max=MAX_ANSWERS),
        metadata={"description": "one integer per item, in the instrument's published order"},
    )


class ReferralRefSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()


class ScoredCheckInSchema(ma.Schema):
    """A check-in without its referral (nested inside a referral)."""

    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    instrument = ma.fields.String(metadata={"enum": INSTRUMENT_KEYS})
    answers = ma.fields.List(
        ma.fields.Integer(),
        allow_none=True,
        metadata={"description": "null once deleted after the retention period"},
    )
    score = ma.fields.Integer(
        metadata={"description": "WHO-5: the 0-100 percentage; others: the published total"}
    )
    raw_score = ma.fields.Integer(metadata={"description": "the plain sum of the answers"})
    band = ma.fields.String()
    flagged = ma.fields.Boolean(
        metadata={"description": "a counsellor is asked to follow up; decides nothing else"}
    )
    urgent = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    answers_deleted_at = ma.fields.DateTime(allow_none=True)


class CheckInSchema(ScoredCheckInSchema):
    referral = ma.fields.Nested(
        ReferralRefSchema,
        allow_none=True,
        metadata={
            "description": "opened for a counsellor when the check-in is flagged or the WHO-5 "
            "fell by 10 points or more since the previous one"
        },
    )


class TrendPointSchema(ma.Schema):
    created_at = ma.fields.DateTime()
    score = ma.fields.Integer()
    band = ma.fields.String()


class TrendSchema(ma.Schema):
    instrument = ma.fields.String(metadata={"enum": INSTRUMENT_KEYS})
    higher_is_better = ma.fields.Boolean()
    points = ma.fields.List(
        ma.fields.Nested(TrendPointSchema), metadata={"description": "oldest first"}
    )
    change = ma.fields.Integer(
        allow_none=True, metadata={"description": "last score minus the one before"}
    )


class MyCheckInPage(page_schema(CheckInSchema, "MyCheckInPageBase")):  # type: ignore[misc]
    trend = ma.fields.List(ma.fields.Nested(TrendSchema), required=True)


class MyCheckInArgs(PageArgs):
    instrument = ma.fields.String(validate=ma.validate.OneOf(INSTRUMENT_KEYS))


class CheckInListArgs(MyCheckInArgs):
    flagged = ma.fields.Boolean()
    urgent = ma.fields.Boolean()
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))


@blp.route("/instruments")
class Instruments(MethodView):
    @roles(*ROLES)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(InstrumentSchema, "InstrumentPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The screening instruments: item texts, answer scale, bands and attribution."""
        everything = service.published_instruments(current_app.config["PCL5_CUTOFF"])
        start = (args["page"] - 1) * args["page_size"]
        items = everything[start : start + args["page_size"]]
        return {
            "items": items,
            "page": args["page"],
            "page_size": args["page_size"],
            "total": len(everything),
        }


class MyCheckInLocaleArgs(MyCheckInArgs, LocaleArgs):
    """MyCheckInArgs and ``?locale=``."""


@blp.route("/me/checkins")
class MyCheckIns(MethodView):
    @roles("contractor")
    @blp.arguments(MyCheckInLocaleArgs, location="query")
    @blp.response(200, MyCheckInPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My check-ins, newest first, with my trend per instrument."""
        me, session = access.me(), db.session()
        stmt = service.check_ins_query(contractor_id=me, instrument=args.get("instrument"))
        page = paginate(session, stmt, args["page"], args["page_size"])
        page["trend"] = service.trend(session, me, args.get("instrument"))
        return page

    @roles("contractor")
    @blp.arguments(CheckInCreateSchema)
    @blp.response(201, CheckInSchema)
    def post(self, data: dict[str, Any]) -> CheckIn:
        """Check in: answers scored by the instrument's published manual.

        A flagged result asks a counsellor to get in touch; it changes nothing else.
        """
        return service.record_check_in(
            db.session(),
            access.me(),
            data["instrument"],
            data["answers"],
            pcl5_cutoff=current_app.config["PCL5_CUTOFF"],
        )


@blp.route("/checkins")
class CheckIns(MethodView):
    @roles("wellbeing")
    @blp.arguments(CheckInListArgs, location="query")
    @blp.response(200, page_schema(CheckInSchema, "CheckInPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Check-ins for counsellors, urgent first, then newest; logged per contractor."""
        session = db.session(write=True)
        stmt = service.check_ins_query(
            contractor_id=args.get("contractor_id"),
            instrument=args.get("instrument"),
            flagged=args.get("flagged"),
            urgent=args.get("urgent"),
            urgent_first=True,
        )
        page = paginate(session, stmt, args["page"], args["page_size"])
        access_log.record_reads(session, "check_in_list", (c.contractor_id for c in page["items"]))
        return page


@blp.route("/checkins/<int:check_in_id>")
class CheckInItem(MethodView):
    @roles("wellbeing", "contractor")
    @blp.response(200, CheckInSchema)
    def get(self, check_in_id: int) -> CheckIn:
        """One check-in: a counsellor's read is logged; a contractor sees only their own."""
        if access.principal().role == "contractor":
            return service.get_check_in(db.session(), check_in_id, contractor_id=access.me())
        session = db.session(write=True)
        check_in = service.get_check_in(session, check_in_id)
        access_log.record_reads(session, "check_in", [check_in.contractor_id])
        return check_in
