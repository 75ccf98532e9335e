"""Schedules and calendar feeds: ``/contractors/{id}/schedule``, ``/me/schedule``,
``/me/calendar``, ``/me/calendar/rotate``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import LocaleArgs, LocaleField, PageArgs
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.scheduling import feed
from workforce.scheduling.schedule import schedule
from workforce.shifts.models import SHIFT_STATUSES

blp = Blueprint(
    "schedules", __name__, url_prefix="/api/v1", description="Schedules and calendar feeds"
)


class ScheduleArgs(PageArgs):
    start = ma.fields.Date(
        data_key="from", metadata={"description": "first local date; default Monday this week"}
    )
    end = ma.fields.Date(
        data_key="to", metadata={"description": "last local date; default 13 days after from"}
    )
    locale = LocaleField()
    include_cancelled = ma.fields.Boolean(load_default=False)


class DaySchema(ma.Schema):
    date = ma.fields.Date()
    local_start = ma.fields.DateTime()
    local_end = ma.fields.DateTime()
    seconds = ma.fields.Integer()
    holiday = ma.fields.String(allow_none=True)


class DisplaySchema(ma.Schema):
    date = ma.fields.String(metadata={"description": "e.g. Jumamosi, 12 Desemba 2026"})
    start = ma.fields.String()
    end = ma.fields.String()
    text = ma.fields.String(metadata={"description": "e.g. Jumamosi, 12 Desemba 2026, 09:00–17:00"})


class ScheduleEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    queue_id = ma.fields.Integer()
    queue = ma.fields.String(metadata={"description": "the queue's name"})
    queue_slug = ma.fields.String()
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    status = ma.fields.String(metadata={"enum": list(SHIFT_STATUSES)})
    clock_in_at = ma.fields.DateTime(allow_none=True)
    clock_out_at = ma.fields.DateTime(allow_none=True)
    local_start = ma.fields.DateTime(metadata={"description": "with the local UTC offset"})
    local_end = ma.fields.DateTime()
    timezone = ma.fields.String(metadata={"description": "IANA time zone"})
    holiday = ma.fields.String(
        allow_none=True, metadata={"description": "public holiday the shift falls on"}
    )
    days = ma.fields.List(
        ma.fields.Nested(DaySchema), metadata={"description": "one piece per local date"}
    )
    display = ma.fields.Nested(DisplaySchema)


class ScheduleSchema(ma.Schema):
    contractor_id = ma.fields.Integer()
    timezone = ma.fields.String()
    locale = ma.fields.String()
    start = ma.fields.Date(data_key="from", attribute="from")
    end = ma.fields.Date(data_key="to", attribute="to")
    items = ma.fields.List(ma.fields.Nested(ScheduleEntrySchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer()


class CalendarUrlSchema(ma.Schema):
    url = ma.fields.String(metadata={"description": "secret .ics address; no token needed"})
    webcal_url = ma.fields.String(metadata={"description": "the same as webcal://"})


def _schedule(contractor_id: int, args: dict[str, Any]) -> dict[str, Any]:
    return schedule(
        db.session(),
        contractor_id,
        start=args.get("start"),
        end=args.get("end"),
        locale=args.get("locale"),
        include_cancelled=args["include_cancelled"],
        page=args["page"],
        page_size=args["page_size"],
        now=db.utcnow(),
    )


@blp.route("/contractors/<int:contractor_id>/schedule")
class ContractorSchedule(MethodView):
    @roles("admin", "ops", "compliance", "contractor")
    @blp.arguments(ScheduleArgs, location="query")
    @blp.response(200, ScheduleSchema)
    def get(self, args: dict[str, Any], contractor_id: int) -> dict[str, Any]:
        """A contractor's shifts in their zone and locale (or ``?locale=``), with holidays."""
        access.own(contractor_id)
        return _schedule(contractor_id, args)


@blp.route("/me/schedule")
class MySchedule(MethodView):
    @roles("contractor")
    @blp.arguments(ScheduleArgs, location="query")
    @blp.response(200, ScheduleSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My shifts, in my time and language."""
        return _schedule(access.me(), args)


@blp.route("/me/calendar")
class MyCalendar(MethodView):
    @roles("contractor")
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, CalendarUrlSchema)
    def get(self, _args: dict[str, Any]) -> dict[str, str]:
        """My secret calendar feed URL: subscribe to it from a phone calendar."""
        return feed.feed_url(db.session(), access.me())


@blp.route("/me/calendar/rotate")
class MyCalendarRotate(MethodView):
    @roles("contractor")
    @blp.response(200, CalendarUrlSchema)
    def post(self) -> dict[str, str]:
        """A new secret feed URL; the old one stops working at once."""
        return feed.rotate_feed(db.session(), access.me(), db.utcnow())
