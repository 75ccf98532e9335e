"""The counsellor-only access log: ``GET /wellbeing/access-log`` (counsellors) and
``GET /me/wellbeing/access-log`` (a contractor's own rows)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import LocaleArgs, PageArgs, page_schema, paginate
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.wellbeing.access_log import ACCESS_ACTIONS, access_log_query

blp = Blueprint(
    "wellbeing_access",
    __name__,
    url_prefix="/api/v1",
    description="Who read or followed up whose wellbeing records (counsellors only)",
)


class AccessSchema(ma.Schema):
    id = ma.fields.Integer()
    occurred_at = ma.fields.DateTime()
    contractor_id = ma.fields.Integer()
    actor_token_id = ma.fields.Integer(allow_none=True)
    actor_name = ma.fields.String()
    action = ma.fields.String()
    view = ma.fields.String()
    object_id = ma.fields.Integer(allow_none=True)


class OwnAccessArgs(PageArgs):
    action = ma.fields.String(validate=ma.validate.OneOf(ACCESS_ACTIONS))


class AccessArgs(OwnAccessArgs):
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))


@blp.route("/wellbeing/access-log")
class AccessLog(MethodView):
    @roles("wellbeing")
    @blp.arguments(AccessArgs, location="query")
    @blp.response(200, page_schema(AccessSchema, "WellbeingAccessPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Counsellors' reads and follow-ups, newest first; filter by contractor or action."""
        stmt = access_log_query(contractor_id=args.get("contractor_id"), action=args.get("action"))
        return paginate(db.session(), stmt, args["page"], args["page_size"])


class MyAccessArgs(OwnAccessArgs, LocaleArgs):
    """OwnAccessArgs and ``?locale=``."""


@blp.route("/me/wellbeing/access-log")
class OwnAccessLog(MethodView):
    @roles("contractor")
    @blp.arguments(MyAccessArgs, location="query")
    @blp.response(200, page_schema(AccessSchema, "OwnWellbeingAccessPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Which counsellor read or followed up my wellbeing records, and when."""
        stmt = access_log_query(contractor_id=access.me(), action=args.get("action"))
        return paginate(db.session(), stmt, args["page"], args["page_size"])
