"""Availability and time off: ``/me/availability``, ``/contractors/{id}/availability``,
``/me/time-off``, ``/time-off`` and their actions (docs/scheduling.md)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import InputSchema, LocaleArgs, PageArgs, page_schema, paginate
from workforce.api.openapi import problems
from workforce.contractors.models import Contractor
from workforce.contractors.services import get_contractor
from workforce.extensions import MAX_ID, Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.scheduling import availability, time_off

blp = Blueprint(
    "availability", __name__, url_prefix="/api/v1", description="Availability and time off"
)

READ = ("admin", "ops", "compliance")
WRITE = ("admin", "ops")


class WindowSchema(InputSchema):
    weekday = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(0, 6),
        metadata={"description": "0 = Monday .. 6 = Sunday", "example": 0},
    )
    start = ma.fields.String(
        required=True,
        validate=ma.validate.Length(5, 5),
        metadata={"description": "local wall time HH:MM", "example": "09:00"},
    )
    end = ma.fields.String(
        required=True,
        validate=ma.validate.Length(5, 5),
        metadata={
            "description": "local wall time HH:MM after start; 24:00 is the end of the day",
            "example": "17:00",
        },
    )


class AvailabilityInputSchema(InputSchema):
    windows = ma.fields.List(
        ma.fields.Nested(WindowSchema),
        required=True,
        validate=ma.validate.Length(max=availability.MAX_WINDOWS),
        metadata={"description": "empty: available at any time"},
    )


class AvailabilitySchema(ma.Schema):
    contractor_id = ma.fields.Integer()
    timezone = ma.fields.String(metadata={"description": "the zone the windows are read in"})
    windows = ma.fields.List(ma.fields.Nested(WindowSchema))
    always_available = ma.fields.Boolean(metadata={"description": "true when no windows are set"})


class PlannedOutsideSchema(ma.Schema):
    shift_id = ma.fields.Integer(metadata={"example": 42})
    queue_id = ma.fields.Integer(metadata={"example": 3})
    queue = ma.fields.String(metadata={"description": "the queue's name"})
    starts_at = ma.fields.DateTime(metadata={"description": "UTC"})
    ends_at = ma.fields.DateTime(metadata={"description": "UTC"})
    local_start = ma.fields.DateTime(
        metadata={"description": "in the contractor's zone, with its offset then"}
    )
    local_end = ma.fields.DateTime(
        metadata={"description": "in the contractor's zone, with its offset then"}
    )


class AvailabilityChangeSchema(AvailabilitySchema):
    conflicts = ma.fields.List(
        ma.fields.Nested(PlannedOutsideSchema),
        metadata={
            "description": "future planned shifts now outside the windows: kept, and ops "
            "are told (notification availability.conflicts) to find cover or agree them"
        },
    )


class TimeOffCreateSchema(InputSchema):
    starts_on = ma.fields.Date(
        required=True, metadata={"description": "first local date off", "example": "2027-01-04"}
    )
    ends_on = ma.fields.Date(
        required=True,
        metadata={"description": "last local date off, inclusive", "example": "2027-01-08"},
    )
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(time_off.TIME_OFF_KINDS))
    note = ma.fields.String(
        validate=ma.validate.Length(1, 2000),
        metadata={"description": "optional; never needed", "example": "Family visit"},
    )


class TimeOffSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    kind = ma.fields.String(
        metadata={
            "enum": [*time_off.TIME_OFF_KINDS, "time_off"],
            "description": "ops see wellbeing leave as time_off",
        }
    )
    note = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": list(time_off.TIME_OFF_STATUSES)})
    comment = ma.fields.String(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    shifts_released = ma.fields.Integer(
        metadata={"description": "scheduled shifts approval turned into needs_cover"}
    )
    created_at = ma.fields.DateTime()


TimeOffPage = page_schema(TimeOffSchema, "TimeOffPage")


class TimeOffListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(time_off.TIME_OFF_STATUSES))
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID))


class MyTimeOffArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(time_off.TIME_OFF_STATUSES))


class ApproveSchema(InputSchema):
    comment = ma.fields.String(validate=ma.validate.Length(1, 2000))


class RejectSchema(InputSchema):
    comment = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))


def _availability(contractor: Contractor) -> dict[str, Any]:
    windows = availability.get_windows(db.session(), contractor.id)
    return {
        "contractor_id": contractor.id,
        "timezone": contractor.timezone,
        "windows": [w.as_dict() for w in windows],
        "always_available": not windows,
    }


def _set(contractor_id: int, data: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    contractor = get_contractor(session, contractor_id)
    _, outside = availability.set_windows(session, contractor.id, data["windows"])
    return {**_availability(contractor), "conflicts": [p.as_dict() for p in outside]}


@blp.route("/me/availability")
class MyAvailability(MethodView):
    @roles("contractor")
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, AvailabilitySchema)
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """My weekly availability.

        Windows in my local time (``timezone``); none means I am available at any time.
        """
        return _availability(get_contractor(db.session(), access.me()))

    @roles("contractor")
    @blp.arguments(AvailabilityInputSchema)
    @blp.response(200, AvailabilityChangeSchema)
    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Replace my weekly availability.

        Each window is a weekday (0 = Monday) and a local start and end (``HH:MM``, end after
        start, ``24:00`` ends the day); windows of a day may touch but not overlap, at most
        28. Write an overnight window as two: 22:00-24:00 and 00:00-06:00 the next day.
        New and moved shifts outside the windows are refused unless ops override. Shifts
        already planned stay mine: those starting later that now fall outside the windows
        are listed in ``conflicts`` (shift id, local start and end, queue name), and ops are
        notified so they can find cover or agree the exception with me. The change is
        audited as ``availability.set``. An empty list makes me available at any time.
        """
        return _set(access.me(), data)


@blp.route("/contractors/<int:contractor_id>/availability")
class ContractorAvailability(MethodView):
    @roles(*READ)
    @blp.response(200, AvailabilitySchema)
    def get(self, contractor_id: int) -> dict[str, Any]:
        """A contractor's weekly availability.

        Windows in the contractor's local time; none means available at any time.
        """
        return _availability(get_contractor(db.session(), contractor_id))

    @roles(*WRITE)
    @blp.arguments(AvailabilityInputSchema)
    @blp.response(200, AvailabilityChangeSchema)
    def put(self, data: dict[str, Any], contractor_id: int) -> dict[str, Any]:
        """Replace a contractor's weekly availability.

        The same windows and ``conflicts`` as ``PUT /me/availability`` (planned shifts now
        outside stay, and ops are notified); audited as ``availability.set``.
        """
        return _set(contractor_id, data)


class MyTimeOffLocaleArgs(MyTimeOffArgs, LocaleArgs):
    """MyTimeOffArgs and ``?locale=``."""


@blp.route("/me/time-off")
class MyTimeOff(MethodView):
    @roles("contractor")
    @blp.arguments(MyTimeOffLocaleArgs, location="query")
    @blp.response(200, TimeOffPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My time-off requests.

        Earliest dates first, with my own kind and note; filter by ``status``.
        """
        result = paginate(
            db.session(),
            time_off.list_query(access.me(), args.get("status")),
            args["page"],
            args["page_size"],
        )
        result["items"] = [time_off.for_contractor(r) for r in result["items"]]
        return result

    @roles("contractor")
    @blp.arguments(TimeOffCreateSchema)
    @blp.response(201, TimeOffSchema)
    @problems("time_off_overlap")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Ask for time off.

        Local dates ``starts_on`` to ``ends_on`` inclusive (at most 366 days), kind
        ``vacation``, ``sick``, ``personal`` or ``wellbeing``; a note is optional. Ops see
        ``wellbeing`` leave only as ``time_off``, without its note. 409
        ``time_off_overlap`` when the dates overlap another pending or approved request.
        """
        session = db.session()
        contractor = get_contractor(session, access.me())
        return time_off.for_contractor(time_off.request_time_off(session, contractor, data))


@blp.route("/me/time-off/<int:time_off_id>/cancel")
class MyTimeOffCancel(MethodView):
    @roles("contractor")
    @blp.response(200, TimeOffSchema)
    @problems("time_off_not_pending")
    def post(self, time_off_id: int) -> dict[str, Any]:
        """Withdraw my pending time-off request.

        Only while it is pending: 409 ``time_off_not_pending`` once ops decided.
        """
        return time_off.for_contractor(time_off.cancel(db.session(), access.me(), time_off_id))


@blp.route("/time-off")
class TimeOffList(MethodView):
    @roles(*READ)
    @blp.arguments(TimeOffListArgs, location="query")
    @blp.response(200, TimeOffPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Time-off requests of every contractor.

        Earliest dates first; filter by ``status`` and ``contractor_id``. Wellbeing leave
        shows as kind ``time_off`` with no note.
        """
        result = paginate(
            db.session(),
            time_off.list_query(args.get("contractor_id"), args.get("status")),
            args["page"],
            args["page_size"],
        )
        result["items"] = [time_off.for_ops(r) for r in result["items"]]
        return result


@blp.route("/time-off/<int:time_off_id>/approve")
class TimeOffApprove(MethodView):
    @roles(*WRITE)
    @blp.arguments(ApproveSchema, required=False)
    @blp.response(200, TimeOffSchema)
    @problems("time_off_not_pending")
    def post(self, data: dict[str, Any], time_off_id: int) -> dict[str, Any]:
        """Approve a pending time-off request.

        The contractor's scheduled shifts touching its dates are cancelled and flagged
        ``needs_cover`` (``shifts_released`` counts them); new shifts in the range are
        refused with 409 ``on_leave``. The contractor is notified.
        """
        return time_off.for_ops(time_off.approve(db.session(), time_off_id, data.get("comment")))


@blp.route("/time-off/<int:time_off_id>/reject")
class TimeOffReject(MethodView):
    @roles(*WRITE)
    @blp.arguments(RejectSchema)
    @blp.response(200, TimeOffSchema)
    @problems("time_off_not_pending")
    def post(self, data: dict[str, Any], time_off_id: int) -> dict[str, Any]:
        """Reject a pending time-off request, saying why in ``comment``.

        The contractor is notified with the comment.
        """
        return time_off.for_ops(time_off.reject(db.session(), time_off_id, data["comment"]))
