"""Pay statements: ``/contractors/{id}/pay-statements``, ``/pay-statements/{id}`` (and its
``/finalize``, ``/recalculate``, ``/adjust``), ``/me/pay-statements``; JSON or a PDF slip."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    LocaleArgs,
    LocaleField,
    PageArgs,
    QuerySchema,
    page_schema,
    paginate,
)
from workforce.api.openapi import STATEMENT_BASIS_CODES, problems
from workforce.contractors.services import get_contractor
from workforce.extensions import Blueprint
from workforce.http import download
from workforce.identity import access
from workforce.identity.access import roles
from workforce.pay import statement_lifecycle
from workforce.pay.models import STATEMENT_KINDS, STATEMENT_STATUSES, PayStatement
from workforce.pay.render import statement_brief, statement_document
from workforce.pay.slip import SlipSettings, render_pdf
from workforce.pay.statements import LINE_KINDS

blp = Blueprint(
    "pay_statements", __name__, url_prefix="/api/v1", description="Pay statements and slips"
)

MANAGE = ("admin", "ops")
#: Staff who may read statements; the wellbeing role sees nothing about pay.
READ = ("admin", "ops", "compliance")

_CURRENCY = ma.validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code (upper case)")


class StatementCreateSchema(InputSchema):
    period_start = ma.fields.Date(required=True, metadata={"description": "contractor-local"})
    period_end = ma.fields.Date(required=True, metadata={"description": "inclusive, ≤ 62 days"})
    reporting_currency = ma.fields.String(
        validate=_CURRENCY, metadata={"description": "also convert the total to this currency"}
    )


class AdjustSchema(InputSchema):
    reprice = ma.fields.Boolean(
        load_default=False,
        truthy={True},
        falsy={False},
        metadata={"description": "use today's policy and wages instead of the original's"},
    )


class StatementListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(STATEMENT_STATUSES))


class StatementViewArgs(QuerySchema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "pdf")))
    locale = LocaleField(
        metadata={"description": "CLDR locale for labels and formatting (default: contractor's)"}
    )


class FormattedLineSchema(ma.Schema):
    date = ma.fields.String()
    hours = ma.fields.String()
    rate = ma.fields.String()
    amount = ma.fields.String()


class LineSchema(ma.Schema):
    date = ma.fields.Date(metadata={"description": "contractor-local date worked"})
    kind = ma.fields.String(metadata={"enum": list(LINE_KINDS)})
    detail = ma.fields.String(
        allow_none=True, metadata={"description": "holiday, queue tier or credential code"}
    )
    label = ma.fields.String()
    seconds = ma.fields.Integer()
    hours = ma.fields.String()
    percent = ma.fields.String(metadata={"description": "share of the base rate per hour"})
    rate = ma.fields.String()
    amount = ma.fields.String()
    formatted = ma.fields.Nested(FormattedLineSchema)


class FormattedSummarySchema(ma.Schema):
    hours = ma.fields.String()
    amount = ma.fields.String()


class SummarySchema(ma.Schema):
    kind = ma.fields.String(metadata={"enum": list(LINE_KINDS)})
    detail = ma.fields.String(allow_none=True)
    label = ma.fields.String()
    seconds = ma.fields.Integer()
    hours = ma.fields.String()
    amount = ma.fields.String()
    formatted = ma.fields.Nested(FormattedSummarySchema)


class ReportingSchema(ma.Schema):
    currency = ma.fields.String()
    total = ma.fields.String()
    exchange_rate = ma.fields.Dict(metadata={"description": "base, quote, rate, date, source"})
    formatted = ma.fields.String()


class StatementBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    contractor_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": list(STATEMENT_KINDS)})
    adjusts_statement_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(metadata={"enum": list(STATEMENT_STATUSES)})
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    currency = ma.fields.String()
    total = ma.fields.String()
    reporting_currency = ma.fields.String(allow_none=True)
    reporting_total = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    finalized_at = ma.fields.DateTime(allow_none=True)


class FormattedStatementSchema(ma.Schema):
    period = ma.fields.String()
    base_hourly_rate = ma.fields.String()
    total = ma.fields.String()


class StatementSchema(StatementBriefSchema):
    locale = ma.fields.String()
    base_hourly_rate = ma.fields.String()
    reporting = ma.fields.Nested(ReportingSchema, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(LineSchema))
    summary = ma.fields.List(ma.fields.Nested(SummarySchema))
    formatted = ma.fields.Nested(FormattedStatementSchema)
    evidence = ma.fields.Dict(
        metadata={"description": "policy version and terms, wage distribution, rate derivation"}
    )
    calculated_at = ma.fields.DateTime()


#: The PDF slip is the same resource in another format (``?format=pdf``). The status is an
#: int, as flask-smorest keys its own responses, so the two content types merge.
PDF_DOC = {
    "responses": {
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    }
}

StatementPage = page_schema(StatementBriefSchema, "PayStatementPage")


def _page(args: dict[str, Any], contractor_id: int, *, final_only: bool) -> dict[str, Any]:
    stmt = statement_lifecycle.statements_query(
        contractor_id, status=args.get("status"), final_only=final_only
    )
    page = paginate(db.session(), stmt, args["page"], args["page_size"])
    return {**page, "items": [statement_brief(s) for s in page["items"]]}


def _show(statement: PayStatement, args: dict[str, Any]) -> Any:
    contractor = get_contractor(db.session(), statement.contractor_id)
    if args["format"] == "pdf":
        settings = SlipSettings.from_config(current_app.config)
        body = render_pdf(statement, contractor, args.get("locale"), settings)
        return download(body, "application/pdf", statement.download_name())
    return statement_document(statement, contractor, args.get("locale"))


def _detail(statement: PayStatement) -> dict[str, Any]:
    return statement_document(statement, get_contractor(db.session(), statement.contractor_id))


@blp.route("/contractors/<int:contractor_id>/pay-statements")
class ContractorStatements(MethodView):
    @roles(*READ, "contractor")
    @blp.arguments(StatementListArgs, location="query")
    @blp.response(200, StatementPage)
    def get(self, args: dict[str, Any], contractor_id: int) -> dict[str, Any]:
        """A contractor's statements, newest period first (a contractor: final ones only)."""
        access.own(contractor_id)
        get_contractor(db.session(), contractor_id)
        final_only = access.principal().role == "contractor"
        return _page(args, contractor_id, final_only=final_only)

    @roles(*MANAGE)
    @blp.arguments(StatementCreateSchema)
    @blp.response(201, StatementSchema)
    @problems("statement_overlaps", *STATEMENT_BASIS_CODES)
    def post(self, data: dict[str, Any], contractor_id: int) -> dict[str, Any]:
        """Calculate a draft statement from the completed shifts of a period."""
        return _detail(statement_lifecycle.create_statement(db.session(), contractor_id, data))


@blp.route("/pay-statements/<int:statement_id>")
class StatementItem(MethodView):
    @roles(*READ, "contractor")
    @blp.arguments(StatementViewArgs, location="query")
    @blp.response(200, StatementSchema)
    @blp.doc(**PDF_DOC)
    @problems("slip_fonts_missing")
    def get(self, args: dict[str, Any], statement_id: int) -> Any:
        """One statement, as JSON or (``?format=pdf``) a PDF slip."""
        return _show(statement_lifecycle.visible_statement(db.session(), statement_id), args)

    @roles(*MANAGE)
    @blp.response(204)
    @problems("statement_final")
    def delete(self, statement_id: int) -> None:
        """Discard a draft; a final statement is never deleted (409)."""
        statement_lifecycle.delete_statement(db.session(), statement_id)


@blp.route("/pay-statements/<int:statement_id>/recalculate")
class StatementRecalculate(MethodView):
    @roles(*MANAGE)
    @blp.response(200, StatementSchema)
    @problems("statement_final", "currency_changed", *STATEMENT_BASIS_CODES)
    def post(self, statement_id: int) -> dict[str, Any]:
        """Recalculate a draft from today's shifts, policy and wages (409 if final)."""
        return _detail(statement_lifecycle.recalculate_statement(db.session(), statement_id))


@blp.route("/pay-statements/<int:statement_id>/finalize")
class StatementFinalize(MethodView):
    @roles(*MANAGE)
    @blp.response(200, StatementSchema)
    @problems("period_not_ended", "statement_final", "statement_stale")
    def post(self, statement_id: int) -> dict[str, Any]:
        """Freeze a draft whose period is over; it never changes afterwards."""
        return _detail(statement_lifecycle.finalize_statement(db.session(), statement_id))


@blp.route("/pay-statements/<int:statement_id>/adjust")
class StatementAdjust(MethodView):
    @roles(*MANAGE)
    @blp.arguments(AdjustSchema, required=False)
    @blp.response(201, StatementSchema)
    @problems(
        "statement_not_final",
        "adjust_the_original",
        "adjustment_pending",
        "nothing_to_adjust",
        *STATEMENT_BASIS_CODES,
    )
    def post(self, data: dict[str, Any], statement_id: int) -> dict[str, Any]:
        """A draft adjusting statement: the period's pay now minus what was paid."""
        statement = statement_lifecycle.adjust_statement(
            db.session(), statement_id, reprice=data.get("reprice", False)
        )
        return _detail(statement)


class MyStatementListArgs(PageArgs, LocaleArgs):
    """PageArgs and ``?locale=``."""


@blp.route("/me/pay-statements")
class MyStatements(MethodView):
    @roles("contractor")
    @blp.arguments(MyStatementListArgs, location="query")
    @blp.response(200, StatementPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My final pay statements, newest period first."""
        return _page(args, access.me(), final_only=True)


@blp.route("/me/pay-statements/<int:statement_id>")
class MyStatement(MethodView):
    @roles("contractor")
    @blp.arguments(StatementViewArgs, location="query")
    @blp.response(200, StatementSchema)
    @blp.doc(**PDF_DOC)
    @problems("slip_fonts_missing")
    def get(self, args: dict[str, Any], statement_id: int) -> Any:
        """One of my final statements, as JSON or (``?format=pdf``) a PDF slip."""
        access.me()
        return _show(statement_lifecycle.visible_statement(db.session(), statement_id), args)
