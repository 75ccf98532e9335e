"""The audit trail: ``GET /audit-events``, ``GET /audit-events/verify`` and
``GET /audit-checkpoints``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from sqlalchemy import and_, not_, or_, select

from workforce import audit, db
from workforce.api.common import PageArgs, Timestamp, page_schema, paginate
from workforce.audit import AuditCheckpoint, AuditEvent
from workforce.extensions import Blueprint
from workforce.identity.access import roles

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit trail")

#: Counsellor reads and follow-ups audited before revision 0142 named the contractor, which
#: tells an audit reader who has a referral. They stay in the chain (removing them would
#: break it) and were copied to the counsellor-only access log; this API no longer serves them.
NAMES_A_REFERRAL = or_(
    AuditEvent.action == "wellbeing.read",
    and_(AuditEvent.action == "wellbeing.follow_up", AuditEvent.target_type == "contractor"),
)


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    occurred_at = ma.fields.DateTime()
    actor_token_id = ma.fields.Integer(allow_none=True)
    actor_role = ma.fields.String()
    actor_name = ma.fields.String()
    action = ma.fields.String()
    target_type = ma.fields.String()
    target_id = ma.fields.String(allow_none=True)
    summary = ma.fields.Dict()
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


class AuditListArgs(PageArgs):
    target_type = ma.fields.String(validate=ma.validate.Length(1, 40))
    target_id = ma.fields.String(validate=ma.validate.Length(1, 80))
    actor_token_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))
    action = ma.fields.String(validate=ma.validate.Length(1, 80))
    since = Timestamp()
    until = Timestamp()


class ChainReportSchema(ma.Schema):
    ok = ma.fields.Boolean()
    checked = ma.fields.Integer()
    first_broken_id = ma.fields.Integer(allow_none=True)
    problem = ma.fields.String(allow_none=True)
    checkpoints = ma.fields.Integer()


class AuditCheckpointSchema(ma.Schema):
    id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    head_id = ma.fields.Integer()
    head_hash = ma.fields.String()
    event_count = ma.fields.Integer()
    note = ma.fields.String(allow_none=True)
    signature = ma.fields.String()


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @roles("admin", "compliance")
    @blp.arguments(AuditListArgs, location="query")
    @blp.response(200, page_schema(AuditEventSchema, "AuditEventPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The audit trail, newest first; filter by target, actor, action and time."""
        stmt = select(AuditEvent).where(not_(NAMES_A_REFERRAL)).order_by(AuditEvent.id.desc())
        for name in ("target_type", "target_id", "actor_token_id", "action"):
            if name in args:
                stmt = stmt.where(getattr(AuditEvent, name) == args[name])
        if "since" in args:
            stmt = stmt.where(AuditEvent.occurred_at >= args["since"])
        if "until" in args:
            stmt = stmt.where(AuditEvent.occurred_at < args["until"])
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/audit-events/verify")
class AuditVerify(MethodView):
    @roles("admin", "compliance")
    @blp.response(200, ChainReportSchema)
    def get(self) -> audit.ChainReport:
        """Check the keyed chain and the signed checkpoints; names the first row that breaks
        it, or the checkpoint whose head is gone."""
        return audit.verify_chain(db.session(), audit.checkpoint_file(current_app.config))


@blp.route("/audit-checkpoints")
class AuditCheckpoints(MethodView):
    @roles("admin", "compliance")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(AuditCheckpointSchema, "AuditCheckpointPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Signed checkpoints of the chain's head, newest first (every 15 minutes)."""
        stmt = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())
        return paginate(db.session(), stmt, args["page"], args["page_size"])
