"""Shifts: ``/shifts``, ``/shifts/{id}`` and its actions, ``/shift-patterns``,
``/shift-patterns/{id}``, ``/me/open-shifts``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    LocaleArgs,
    OptionalReasonSchema,
    PageArgs,
    Timestamp,
    page_schema,
    paginate,
)
from workforce.api.openapi import SHIFT_RULE_CODES, problems
from workforce.api.schedules import ScheduleEntrySchema
from workforce.errors import NotFound
from workforce.extensions import MAX_ID, Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.scheduling import attendance, pattern_edits, planning, queries
from workforce.scheduling.schedule import open_shifts
from workforce.shifts.models import SHIFT_STATUSES, Shift, ShiftPattern

blp = Blueprint("shifts", __name__, url_prefix="/api/v1", description="Shifts")

READ = ("admin", "ops", "compliance")
WRITE = ("admin", "ops")


def _id(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID), **kwargs)


def _reason(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, 2000), **kwargs)


class ShiftSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "null: an open shift anyone eligible may claim"}
    )
    queue_id = ma.fields.Integer()
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    status = ma.fields.String(metadata={"enum": list(SHIFT_STATUSES)})
    clock_in_at = ma.fields.DateTime(allow_none=True)
    clock_out_at = ma.fields.DateTime(allow_none=True)
    sequence = ma.fields.Integer(metadata={"description": "bumped on every calendar change"})
    needs_cover = ma.fields.Boolean()
    cancel_reason = ma.fields.String(allow_none=True)
    override_reason = ma.fields.String(
        allow_none=True, metadata={"description": "why ops overrode an hour rule"}
    )
    pattern_id = ma.fields.Integer(allow_none=True)
    correction_reason = ma.fields.String(allow_none=True)
    corrected_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ShiftPatchSchema(InputSchema):
    contractor_id = _id(allow_none=True, metadata={"description": "null opens the shift"})
    queue_id = _id()
    starts_at = Timestamp()
    ends_at = Timestamp()
    override_reason = _reason(
        metadata={
            "description": "ops: plan despite rest, length, weekly-hour or availability rules"
        }
    )


class ShiftCreateSchema(ShiftPatchSchema):
    queue_id = _id(required=True)
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)


class ShiftListArgs(PageArgs):
    contractor_id = _id()
    queue_id = _id()
    status = ma.fields.String(validate=ma.validate.OneOf(SHIFT_STATUSES))
    open = ma.fields.Boolean(metadata={"description": "true: only open shifts; false: none"})
    start = Timestamp(data_key="from", metadata={"description": "shifts ending after this"})
    end = Timestamp(data_key="to", metadata={"description": "shifts starting before this"})


class PatternCreateSchema(InputSchema):
    contractor_id = _id(required=True)
    queue_id = _id(required=True)
    days_of_week = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(0, 6)),
        required=True,
        validate=ma.validate.Length(max=7),
        metadata={"description": "0 = Monday .. 6 = Sunday"},
    )
    local_start = ma.fields.Time(
        required=True, metadata={"description": "wall time in the contractor's zone, HH:MM"}
    )
    duration_minutes = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 24 * 60))
    starts_on = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "first local date"}
    )
    until = ma.fields.Date(required=True, metadata={"description": "last local date, inclusive"})
    override_reason = _reason()


class PatternPatchSchema(InputSchema):
    queue_id = _id(metadata={"description": "future shifts move to this queue"})
    days_of_week = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(0, 6)),
        validate=ma.validate.Length(max=7),
        metadata={"description": "0 = Monday .. 6 = Sunday"},
    )
    local_start = ma.fields.Time(metadata={"description": "wall time in the contractor's zone"})
    duration_minutes = ma.fields.Integer(validate=ma.validate.Range(1, 24 * 60))
    until = ma.fields.Date(metadata={"description": "last local date, inclusive"})
    override_reason = _reason()


class PatternListArgs(PageArgs):
    contractor_id = _id()
    queue_id = _id()
    include_deleted = ma.fields.Boolean(load_default=False)


class PatternSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    queue_id = ma.fields.Integer()
    days_of_week = ma.fields.List(ma.fields.Integer())
    local_start = ma.fields.String()
    duration_minutes = ma.fields.Integer()
    starts_on = ma.fields.Date(data_key="from")
    until = ma.fields.Date()
    timezone = ma.fields.String()
    override_reason = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    deleted_at = ma.fields.DateTime(allow_none=True)
    shifts = ma.fields.List(ma.fields.Nested(ShiftSchema))


class PatternListItemSchema(PatternSchema):
    class Meta:
        exclude = ("shifts",)


class CorrectionSchema(InputSchema):
    clock_in_at = Timestamp(allow_none=True)
    clock_out_at = Timestamp(allow_none=True)
    reason = _reason(required=True)


ShiftPage = page_schema(ShiftSchema, "ShiftPage")


class OpenShiftArgs(PageArgs, LocaleArgs):
    """PageArgs and ``?locale=``."""


class OpenShiftSchema(ShiftSchema, ScheduleEntrySchema):
    """A shift, with what ``/me/schedule`` adds: local times, queue name, holiday, display."""


class OpenShiftPageSchema(ma.Schema):
    contractor_id = ma.fields.Integer()
    timezone = ma.fields.String(metadata={"description": "IANA time zone of the local times"})
    locale = ma.fields.String(metadata={"description": "the locale of display"})
    items = ma.fields.List(ma.fields.Nested(OpenShiftSchema), required=True)
    page = ma.fields.Integer(required=True)
    page_size = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


def _visible(shift: Shift) -> Shift:
    """A contractor token sees only its own shifts; anything else is a 404."""
    principal = access.principal()
    if principal.role == "contractor" and shift.contractor_id != principal.contractor_id:
        raise NotFound(f"shift {shift.id} does not exist")
    return shift


@blp.route("/shifts")
class Shifts(MethodView):
    @roles(*READ)
    @blp.arguments(ShiftListArgs, location="query")
    @blp.response(200, ShiftPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shifts, oldest first; filter by contractor, queue, status, open, from/to."""
        stmt = queries.shifts_query(
            contractor_id=args.get("contractor_id"),
            queue_id=args.get("queue_id"),
            status=args.get("status"),
            open_only=args.get("open"),
            start=args.get("start"),
            end=args.get("end"),
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles(*WRITE)
    @blp.arguments(ShiftCreateSchema)
    @blp.response(201, ShiftSchema)
    @problems("queue_inactive", *SHIFT_RULE_CODES)
    def post(self, data: dict[str, Any]) -> Shift:
        """Plan a shift (RFC 3339 with offset), or an open one without ``contractor_id``.

        Checked: eligibility (409 ``not_eligible`` with ``reasons``), approved time off
        (``on_leave``), ``overlap``, ``rest_too_short``, ``shift_too_long``,
        ``weekly_hours_exceeded`` and the contractor's weekly availability
        (``outside_availability``); the last four may be overridden with ``override_reason``.
        """
        return planning.create_shift(db.session(), data)


@blp.route("/shifts/<int:shift_id>")
class ShiftItem(MethodView):
    @roles(*READ, "contractor")
    @blp.response(200, ShiftSchema)
    def get(self, shift_id: int) -> Shift:
        """One shift (a contractor token sees only its own)."""
        return _visible(queries.get_shift(db.session(), shift_id))

    @roles(*WRITE)
    @blp.arguments(ShiftPatchSchema)
    @blp.response(200, ShiftSchema)
    @problems("shift_not_editable", *SHIFT_RULE_CODES)
    def patch(self, changes: dict[str, Any], shift_id: int) -> Shift:
        """Move, reassign or open a scheduled shift; the rules run again."""
        return planning.update_shift(db.session(), shift_id, changes)


@blp.route("/shifts/<int:shift_id>/cancel")
class ShiftCancel(MethodView):
    @roles(*WRITE)
    @blp.arguments(OptionalReasonSchema, required=False)
    @blp.response(200, ShiftSchema)
    @problems("shift_not_cancellable")
    def post(self, data: dict[str, Any], shift_id: int) -> Shift:
        """Cancel a scheduled shift; calendar feeds show it as cancelled."""
        return planning.cancel_shift(db.session(), shift_id, data.get("reason"))


@blp.route("/shifts/<int:shift_id>/claim")
class ShiftClaim(MethodView):
    @roles("contractor")
    @blp.response(200, ShiftSchema)
    @problems("shift_not_open", "shift_started", "shift_taken", *SHIFT_RULE_CODES)
    def post(self, shift_id: int) -> Shift:
        """Claim an open shift; the first valid claim wins (409 ``shift_taken`` after)."""
        return planning.claim_shift(db.session(), shift_id, access.me())


def _clock(action: Callable[..., Shift], shift_id: int) -> Shift:
    """Clock in or out a shift the caller may see; staff act on the contractor's behalf."""
    session = db.session()
    _visible(queries.get_shift(session, shift_id))
    return action(session, shift_id, on_behalf=access.principal().role != "contractor")


@blp.route("/shifts/<int:shift_id>/clock-in")
class ShiftClockIn(MethodView):
    @roles(*WRITE, "contractor")
    @blp.response(200, ShiftSchema)
    @problems("shift_unassigned", "already_clocked_in", "clock_in_too_early", "shift_over")
    def post(self, shift_id: int) -> Shift:
        """Clock in now (ops and admins on the contractor's behalf, audited as such)."""
        return _clock(attendance.clock_in, shift_id)


@blp.route("/shifts/<int:shift_id>/clock-out")
class ShiftClockOut(MethodView):
    @roles(*WRITE, "contractor")
    @blp.response(200, ShiftSchema)
    @problems("shift_unassigned", "not_clocked_in")
    def post(self, shift_id: int) -> Shift:
        """Clock out now; 409 ``not_clocked_in`` before a clock-in."""
        return _clock(attendance.clock_out, shift_id)


@blp.route("/shifts/<int:shift_id>/correct")
class ShiftCorrect(MethodView):
    @roles(*WRITE)
    @blp.arguments(CorrectionSchema)
    @blp.response(200, ShiftSchema)
    @problems("shift_not_open")
    def post(self, data: dict[str, Any], shift_id: int) -> Shift:
        """Correct the recorded clock-in/clock-out, with a reason (audited)."""
        times = {k: data[k] for k in ("clock_in_at", "clock_out_at") if k in data}
        return attendance.correct_times(db.session(), shift_id, reason=data["reason"], **times)


@blp.route("/shift-patterns")
class ShiftPatterns(MethodView):
    @roles(*WRITE)
    @blp.arguments(PatternCreateSchema)
    @blp.response(201, PatternSchema)
    @problems("queue_inactive", *SHIFT_RULE_CODES)
    def post(self, data: dict[str, Any]) -> ShiftPattern:
        """Plan a weekly pattern for one contractor: every shift or none.

        ``local_start`` is the contractor's wall time and stays so across DST changes;
        ``from``/``until`` are local dates (at most 366 days).
        """
        return planning.create_pattern(db.session(), data)

    @roles(*READ)
    @blp.arguments(PatternListArgs, location="query")
    @blp.response(200, page_schema(PatternListItemSchema, "ShiftPatternPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shift patterns, newest first; filter by contractor and queue.

        Deleted patterns are left out unless ``include_deleted=true``. The items leave out
        the shifts; ``GET /shift-patterns/{id}`` has them."""
        stmt = pattern_edits.patterns_query(
            contractor_id=args.get("contractor_id"),
            queue_id=args.get("queue_id"),
            include_deleted=args["include_deleted"],
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/shift-patterns/<int:pattern_id>")
class ShiftPatternItem(MethodView):
    @roles(*READ)
    @blp.response(200, PatternSchema)
    def get(self, pattern_id: int) -> ShiftPattern:
        """One shift pattern with every shift planned from it (past, future, cancelled)."""
        return pattern_edits.get_pattern(db.session(), pattern_id)

    @roles(*WRITE)
    @blp.arguments(PatternPatchSchema)
    @blp.response(200, PatternSchema)
    @problems("pattern_deleted", "queue_inactive", *SHIFT_RULE_CODES)
    def patch(self, changes: dict[str, Any], pattern_id: int) -> ShiftPattern:
        """Change a pattern's days, local start, duration, ``until`` or queue; its future
        shifts follow.

        Future ``scheduled`` shifts still held by the pattern's contractor move to the new
        times (or queue), are cancelled when their local date leaves the pattern, and new
        future dates get new shifts; past, started, cancelled and individually reassigned
        shifts stay as they are. Every moved or new shift passes the rules (409 with the
        rule's ``code`` and ``starts_at``; hour rules may be overridden with
        ``override_reason``) or nothing changes. Moved and cancelled shifts are audited and
        their contractor told, as for ``PATCH /shifts/{id}``."""
        return pattern_edits.update_pattern(db.session(), pattern_id, changes)

    @roles(*WRITE)
    @blp.arguments(OptionalReasonSchema, required=False)
    @blp.response(200, PatternSchema)
    @problems("pattern_deleted")
    def delete(self, data: dict[str, Any], pattern_id: int) -> ShiftPattern:
        """Delete a pattern: its future scheduled shifts are cancelled, the rest stay.

        The pattern is kept, marked ``deleted_at``, since its past shifts point to it; it
        can no longer be changed (409 ``pattern_deleted``). Each cancelled shift is audited
        and its contractor told, as for ``POST /shifts/{id}/cancel``."""
        return pattern_edits.delete_pattern(db.session(), pattern_id, data.get("reason"))


@blp.route("/me/open-shifts")
class MyOpenShifts(MethodView):
    @roles("contractor")
    @blp.arguments(OpenShiftArgs, location="query")
    @blp.response(200, OpenShiftPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Future open shifts on queues I may work now, in my time and language.

        Each shift carries, as in ``/me/schedule``, its local start and end in my zone, the
        queue's name, the public holiday it falls on and ``display`` strings in my language
        (or ``?locale=``). Only shifts I could take are listed: none outside my weekly
        availability or touching my approved time off (the checks a claim runs, in my zone,
        across DST). Claim one to take it (``POST /shifts/{id}/claim``)."""
        page_size = min(args["page_size"], current_app.config["PAGE_SIZE_MAX"])
        return open_shifts(
            db.session(),
            access.me(),
            locale=args.get("locale"),
            page=args["page"],
            page_size=page_size,
            now=db.utcnow(),
        )
