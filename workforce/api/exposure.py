"""Exposure: ``POST /exposure-events``, ``GET /contractors/{id}/exposure``, ``/me/exposure``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    READ_FROM_HEADERS,
    InputSchema,
    LocaleArgs,
    QuerySchema,
    Timestamp,
    replica_reader,
)
from workforce.contractors.services import get_contractor
from workforce.exposure import ingest
from workforce.exposure.ingest.validate import (
    MAX_DURATION_SECONDS,
    MAX_EVENTS,
    MAX_ID,
    MAX_ITEMS,
    REF_MAX,
)
from workforce.exposure.models import EVENT_ID_MAX
from workforce.exposure.view import exposure_view
from workforce.extensions import Blueprint
from workforce.harm import HARM_CATEGORIES, MITIGATIONS, MODALITIES
from workforce.identity import access
from workforce.identity.access import roles

blp = Blueprint("exposure", __name__, url_prefix="/api/v1", description="Exposure tracking")


class ExposureEventSchema(InputSchema):
    """One event, as documented. Parsing is done by the fast validator of
    :func:`workforce.exposure.ingest.validate.validate_events`, which enforces the same rules."""

    event_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, EVENT_ID_MAX),
        metadata={"description": "idempotency key, unique per ingest token"},
    )
    contractor_id = ma.fields.Integer(
        validate=ma.validate.Range(1, MAX_ID),
        metadata={"description": "our id; or give contractor_ref"},
    )
    contractor_ref = ma.fields.String(
        validate=ma.validate.Length(1, REF_MAX),
        metadata={"description": "the contractor's external_ref; or give contractor_id"},
    )
    queue = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 64), metadata={"description": "queue slug"}
    )
    category = ma.fields.String(
        validate=ma.validate.OneOf(HARM_CATEGORIES),
        metadata={"description": "one of the queue's harm categories; omitted for tier 0"},
    )
    started_at = Timestamp(
        required=True, metadata={"description": "at most 5 minutes in the future"}
    )
    duration_seconds = ma.fields.Integer(
        required=True, validate=ma.validate.Range(0, MAX_DURATION_SECONDS)
    )
    items = ma.fields.Integer(
        validate=ma.validate.Range(0, MAX_ITEMS), metadata={"description": "default 1"}
    )
    modality = ma.fields.String(
        validate=ma.validate.OneOf(MODALITIES),
        metadata={"description": "how the content reached the moderator; omitted: unknown"},
    )
    mitigations = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(MITIGATIONS)),
        validate=ma.validate.Length(0, len(MITIGATIONS)),
        metadata={
            "description": "distinct; [] for none; omitted: unknown. Caps count every "
            "minute whatever the mitigation"
        },
    )


class EventList(ma.fields.List):
    """Documented as a list of :class:`ExposureEventSchema`; deserialised as the raw list,
    which the service validates as a whole (a marshmallow pass over 5,000 nested objects
    would cost more than everything else in the request)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class ExposureBatchSchema(InputSchema):
    events = EventList(
        ma.fields.Nested(ExposureEventSchema),
        required=True,
        validate=ma.validate.Length(1, MAX_EVENTS),
    )


class IngestResultSchema(ma.Schema):
    accepted = ma.fields.Integer(metadata={"description": "events stored by this request"})
    duplicates = ma.fields.Integer(
        metadata={"description": "events already stored for this token (or repeated in the batch)"}
    )


class ExposureArgs(QuerySchema):
    from_ = ma.fields.Date(data_key="from", metadata={"description": "first local day"})
    to = ma.fields.Date(metadata={"description": "last local day (default today)"})
    at = Timestamp(metadata={"description": "the instant 'today' is measured at (default now)"})


class DayRowSchema(ma.Schema):
    date = ma.fields.Date()
    tier = ma.fields.Integer()
    category = ma.fields.String()
    seconds = ma.fields.Integer()
    minutes = ma.fields.Float()
    items = ma.fields.Integer()
    events = ma.fields.Integer()
    display = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class TierStandingSchema(ma.Schema):
    """One tier's standing (:func:`workforce.exposure.standing.tier_standing`), as the
    exposure view and eligibility's ``details.exposure.tiers`` give it. Minutes are whole
    minutes, rounded down."""

    tier = ma.fields.Integer()
    today_minutes = ma.fields.Integer(
        metadata={"description": "exposure today at this tier and above"}
    )
    daily_cap_minutes = ma.fields.Integer(allow_none=True)
    remaining_minutes_today = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "left today for work on a queue of this tier (limits 1..tier)"},
    )
    rolling_7_day_minutes = ma.fields.Integer(
        metadata={"description": "today and the six local days before"}
    )
    weekly_cap_minutes = ma.fields.Integer(allow_none=True)
    consecutive_days = ma.fields.Integer()
    max_consecutive_days = ma.fields.Integer(allow_none=True)
    continuous_minutes = ma.fields.Integer(metadata={"description": "length of the current run"})
    run_ended_at = ma.fields.DateTime(allow_none=True)
    continuous_limit_minutes = ma.fields.Integer(allow_none=True)
    break_minutes = ma.fields.Integer(allow_none=True)
    break_due = ma.fields.Boolean(
        metadata={"description": "a break applies to work on a queue of this tier"}
    )
    break_until = ma.fields.DateTime(allow_none=True)
    display = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "in the contractor's own view only: the same in words"},
    )


class ExposureViewSchema(ma.Schema):
    contractor_id = ma.fields.Integer()
    timezone = ma.fields.String()
    locale = ma.fields.String()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    today = ma.fields.Date()
    policy_version = ma.fields.Integer()
    days = ma.fields.List(ma.fields.Nested(DayRowSchema))
    tiers = ma.fields.List(ma.fields.Nested(TierStandingSchema))
    rolling_7_day_minutes = ma.fields.Integer(metadata={"description": "at tier 1 and above"})
    consecutive_days = ma.fields.Integer()
    break_due = ma.fields.Boolean()
    break_until = ma.fields.DateTime(allow_none=True)
    display = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


@blp.route("/exposure-events")
class ExposureEvents(MethodView):
    @roles("admin", "ops", "ingest")
    @blp.arguments(ExposureBatchSchema)
    @blp.response(200, IngestResultSchema)
    def post(self, data: dict[str, Any]) -> ingest.IngestResult:
        """Ingest up to 5,000 exposure events, all or nothing, idempotent per token."""
        token_id = access.principal().token_id
        assert token_id is not None  # every API principal comes from a token
        return ingest.ingest(db.session(), token_id, data["events"])


def _view(contractor_id: int, args: dict[str, Any], *, localized: bool) -> dict[str, Any]:
    session = replica_reader()
    contractor = get_contractor(session, contractor_id)
    result = exposure_view(
        session,
        contractor,
        start=args.get("from_"),
        end=args.get("to"),
        at=args.get("at") or db.utcnow(),
        localized=localized,
        locale=args.get("locale"),
    )
    result["from_"] = result.pop("from")
    return result


@blp.route("/contractors/<int:contractor_id>/exposure")
class ContractorExposure(MethodView):
    @roles("admin", "ops", "compliance")
    @blp.arguments(ExposureArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, ExposureViewSchema, headers=READ_FROM_HEADERS)
    def get(self, args: dict[str, Any], contractor_id: int) -> dict[str, Any]:
        """Minutes per local day, tier and category; today's standing against every limit."""
        return _view(contractor_id, args, localized=False)


class MyExposureArgs(ExposureArgs, LocaleArgs):
    """ExposureArgs and ``?locale=``."""


@blp.route("/me/exposure")
class MyExposure(MethodView):
    @roles("contractor")
    @blp.arguments(MyExposureArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, ExposureViewSchema, headers=READ_FROM_HEADERS)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My exposure and limits, with display strings in my language."""
        return _view(access.me(), args, localized=True)
