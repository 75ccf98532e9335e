"""Shift offers (swap and drop) and the cover finder: ``/me/shifts/{id}/offer``,
``/me/shift-offers``, ``/shift-offers``, ``/shifts/{id}/cover-candidates``,
``/shifts/{id}/offer-to`` (docs/offers.md)."""

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
    page_schema,
    paginate,
)
from workforce.api.openapi import SHIFT_RULE_CODES, problems
from workforce.api.schedules import ScheduleEntrySchema
from workforce.extensions import MAX_ID, Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.scheduling import cover, offers
from workforce.scheduling.models import OFFER_STATUSES, ShiftOffer

blp = Blueprint("offers", __name__, url_prefix="/api/v1", description="Shift offers and cover")

STAFF = ("admin", "ops")
#: Every rule a move re-checks for the taker: eligibility and the hour rules
#: (scheduling/enforcement.py) and the projected exposure budget (scheduling/offers.py).
MOVE_RULE_CODES = (*SHIFT_RULE_CODES, "daily_limit")
#: Candidates answered by default and at most: ops act on the best few.
COVER_LIMIT_DEFAULT, COVER_LIMIT_MAX = 50, 1000


def _id(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID), **kwargs)


def _text(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, 2000), **kwargs)


class OfferSchema(ma.Schema):
    id = ma.fields.Integer()
    shift_id = ma.fields.Integer()
    from_contractor_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "who held the shift; null: an open shift"}
    )
    to_contractor_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "null: offered to anyone who may take it"}
    )
    reason = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": list(OFFER_STATUSES)})
    taker_id = ma.fields.Integer(allow_none=True)
    accepted_at = ma.fields.DateTime(allow_none=True)
    swap_offer_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the other half of a swap"}
    )
    decided_at = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.String(
        allow_none=True, metadata={"enum": ["admin", "ops", "policy"], "example": "ops"}
    )
    comment = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class MyOfferSchema(OfferSchema):
    shift = ma.fields.Nested(
        ScheduleEntrySchema, metadata={"description": "in my time zone and language"}
    )


class MyOfferListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MyOfferSchema), required=True)
    total = ma.fields.Integer(required=True)


class OfferCreateSchema(InputSchema):
    to_contractor_id = _id(metadata={"description": "offer to one colleague only"})
    reason = _text()


class AcceptSchema(InputSchema):
    swap_shift_id = _id(metadata={"description": "one of my shifts to give back: a swap"})


class DecisionSchema(InputSchema):
    comment = _text()


class OfferListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(OFFER_STATUSES))
    shift_id = _id()
    contractor_id = _id(metadata={"description": "giver, addressee or taker"})


class CoverArgs(QuerySchema):
    include_excluded = ma.fields.Boolean(
        load_default=False, metadata={"description": "also list who may not, and why"}
    )
    limit = ma.fields.Integer(
        load_default=COVER_LIMIT_DEFAULT,
        validate=ma.validate.Range(1, COVER_LIMIT_MAX),
        metadata={"description": "the best this many candidates (and excluded)", "example": 20},
    )


class OfferToSchema(InputSchema):
    top = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(1, 50),
        metadata={"description": "how many of the best candidates", "example": 3},
    )


class CandidateSchema(ma.Schema):
    contractor_id = ma.fields.Integer()
    full_name = ma.fields.String()
    timezone = ma.fields.String()
    eligible = ma.fields.Boolean()
    excluded_by = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "rules that exclude them", "example": ["rest_too_short"]},
    )
    qualifies = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "rules checked that held", "example": ["credentials"]},
    )
    tier3_minutes_7d = ma.fields.Integer(
        metadata={"description": "tier-3 exposure minutes, 7 local days to the shift's day"}
    )
    hours_this_week = ma.fields.Float(
        metadata={"description": "hours planned in the 7 days before the shift starts"}
    )
    night_minutes = ma.fields.Integer(
        metadata={"description": "minutes of the shift in their local night (22:00-06:00)"}
    )
    local_start = ma.fields.DateTime(allow_none=True)
    remaining_minutes_today = ma.fields.Integer(allow_none=True)


class CoverSchema(ma.Schema):
    shift_id = ma.fields.Integer()
    queue = ma.fields.String(metadata={"description": "the queue's slug"})
    candidates = ma.fields.List(ma.fields.Nested(CandidateSchema))
    total = ma.fields.Integer(
        metadata={"description": "how many may take the shift; candidates holds the best limit"}
    )
    excluded = ma.fields.List(
        ma.fields.Nested(CandidateSchema),
        metadata={"description": "only with include_excluded=true: the first limit, by id"},
    )
    excluded_total = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "how many may not (null without include_excluded=true)"},
    )


class OfferListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OfferSchema), required=True)


OfferPage = page_schema(OfferSchema, "ShiftOfferPage")


@blp.route("/me/shifts/<int:shift_id>/offer")
class MyShiftOffer(MethodView):
    @roles("contractor")
    @blp.arguments(OfferCreateSchema, required=False)
    @blp.response(201, OfferSchema)
    @problems("shift_not_editable", "shift_started", "offer_exists")
    def post(self, data: dict[str, Any], shift_id: int) -> ShiftOffer:
        """Offer one of my shifts to a colleague, or to anyone who may take it.

        I keep the shift until the move is approved. Offered to one colleague
        (``to_contractor_id``), only they see it; otherwise everyone who passes every rule.
        """
        return offers.offer_shift(
            db.session(),
            access.me(),
            shift_id,
            to_contractor_id=data.get("to_contractor_id"),
            reason=data.get("reason"),
        )


@blp.route("/me/shift-offers")
class MyShiftOffers(MethodView):
    @roles("contractor")
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, MyOfferListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open offers I may take, soonest first, in my time zone and language.

        Every rule is checked for me (eligibility, overlap, rest, weekly hours and the
        exposure budget projected over the shift); an offer I may not take is not listed.
        """
        items = offers.my_offers(db.session(), access.me(), locale_name=args.get("locale"))
        return {"items": items, "total": len(items)}


@blp.route("/me/shift-offers/<int:offer_id>/accept")
class MyShiftOfferAccept(MethodView):
    @roles("contractor")
    @blp.arguments(AcceptSchema, required=False)
    @blp.response(200, OfferSchema)
    @problems("own_offer", "offer_taken", "offer_exists", "offer_stale", *MOVE_RULE_CODES)
    def post(self, data: dict[str, Any], offer_id: int) -> ShiftOffer:
        """Take an offer; with ``swap_shift_id``, give one of my shifts back (a swap).

        Every rule is checked for each taker now and again at approval (409 with the rule's
        ``code``). The first taker wins (409 ``offer_taken`` after). With the auto-approve
        policy the shift moves at once (``status: approved``).
        """
        return offers.accept_offer(
            db.session(), offer_id, access.me(), swap_shift_id=data.get("swap_shift_id")
        )


@blp.route("/me/shift-offers/<int:offer_id>/withdraw")
class MyShiftOfferWithdraw(MethodView):
    @roles("contractor")
    @blp.response(200, OfferSchema)
    @problems("offer_not_live")
    def post(self, offer_id: int) -> ShiftOffer:
        """Take back an offer of mine before it is approved (both halves of a swap)."""
        return offers.withdraw_offer(db.session(), offer_id, access.me())


@blp.route("/shift-offers")
class ShiftOffers(MethodView):
    @roles(*STAFF)
    @blp.arguments(OfferListArgs, location="query")
    @blp.response(200, OfferPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shift offers, newest first; filter by status, shift or contractor."""
        stmt = offers.offers_query(
            status=args.get("status"),
            shift_id=args.get("shift_id"),
            contractor_id=args.get("contractor_id"),
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/shift-offers/<int:offer_id>/approve")
class ShiftOfferApprove(MethodView):
    @roles(*STAFF)
    @blp.arguments(DecisionSchema, required=False)
    @blp.response(200, OfferSchema)
    @problems("offer_not_accepted", "offer_stale", "shift_started", *MOVE_RULE_CODES)
    def post(self, data: dict[str, Any], offer_id: int) -> ShiftOffer:
        """Approve an accepted offer: the shift moves (a swap's two shifts, or neither).

        Every rule is checked again for the taker; a rule that no longer holds answers 409
        with its ``code`` and nothing moves. Both calendars update (the giver's shows the
        event cancelled).
        """
        return offers.approve_offer(
            db.session(), offer_id, data.get("comment"), access.principal().role
        )


@blp.route("/shift-offers/<int:offer_id>/reject")
class ShiftOfferReject(MethodView):
    @roles(*STAFF)
    @blp.arguments(DecisionSchema, required=False)
    @blp.response(200, OfferSchema)
    @problems("offer_not_accepted")
    def post(self, data: dict[str, Any], offer_id: int) -> ShiftOffer:
        """Reject an open or accepted offer (both halves of a swap); nothing moves."""
        return offers.reject_offer(
            db.session(), offer_id, data.get("comment"), access.principal().role
        )


@blp.route("/shifts/<int:shift_id>/cover-candidates")
class ShiftCoverCandidates(MethodView):
    @roles(*STAFF)
    @blp.arguments(CoverArgs, location="query")
    @blp.response(200, CoverSchema)
    def get(self, args: dict[str, Any], shift_id: int) -> dict[str, Any]:
        """Who may take this shift under every rule, ranked, each with why they qualify.

        Ranked by fewest tier-3 exposure minutes in the last 7 days, then fewest hours this
        week, then fewest minutes of the shift in their local night. With
        ``include_excluded=true``, everyone else with the rules that exclude them.
        """
        found = cover.cover_candidates(db.session(), shift_id, args["limit"])
        excluded = found.excluded if args["include_excluded"] else None
        return {
            "shift_id": found.shift.id,
            "queue": found.queue.slug,
            "candidates": found.candidates,
            "total": found.total,
            "excluded": (excluded or [])[: args["limit"]],
            "excluded_total": None if excluded is None else len(excluded),
        }


@blp.route("/shifts/<int:shift_id>/offer-to")
class ShiftOfferTo(MethodView):
    @roles(*STAFF)
    @blp.arguments(OfferToSchema)
    @blp.response(201, OfferListSchema)
    @problems("shift_not_editable", "shift_started")
    def post(self, data: dict[str, Any], shift_id: int) -> dict[str, Any]:
        """Offer the shift to the cover finder's top N candidates.

        Each gets an offer addressed to them; the first to accept takes it (the others'
        offers end), and the move is approved like any other offer.
        """
        return {"items": offers.offer_to(db.session(), shift_id, data["top"])}
