"""Contractors: ``/contractors``, ``/contractors/{id}``, ``/contractors/{id}/offboard``, and in
bulk ``/contractors/import``, ``/contractors/export``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    READ_FROM_HEADERS,
    OptionalReasonSchema,
    PageArgs,
    QuerySchema,
    page_schema,
    paginate,
)
from workforce.api.openapi import problems
from workforce.contractors import bulk, services
from workforce.contractors.inputs import ContractorCreateSchema, ContractorPatchSchema
from workforce.contractors.models import CONTRACTOR_STATUSES, Contractor
from workforce.extensions import Blueprint
from workforce.harm import HARM_CATEGORIES
from workforce.http import download, file_name
from workforce.identity import access
from workforce.identity.access import roles

blp = Blueprint("contractors", __name__, url_prefix="/api/v1", description="Contractors")

STAFF = ("admin", "ops", "compliance", "wellbeing")


class ContractorSchema(ma.Schema):
    id = ma.fields.Integer()
    external_ref = ma.fields.String(allow_none=True)
    full_name = ma.fields.String()
    email = ma.fields.String()
    country = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-2"})
    subdivision = ma.fields.String(allow_none=True, metadata={"description": "ISO 3166-2"})
    timezone = ma.fields.String(metadata={"description": "IANA time zone"})
    locale = ma.fields.String(metadata={"description": "CLDR locale, e.g. sw_KE"})
    currency = ma.fields.String(metadata={"description": "ISO 4217"})
    status = ma.fields.String(metadata={"enum": list(CONTRACTOR_STATUSES)})
    sensitive_consent_at = ma.fields.DateTime(allow_none=True)
    opt_outs = ma.fields.List(ma.fields.String(metadata={"enum": list(HARM_CATEGORIES)}))
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    offboarded_at = ma.fields.DateTime(allow_none=True)


class ContractorListArgs(PageArgs):
    country = ma.fields.String(validate=ma.validate.Length(2, 2))
    status = ma.fields.String(validate=ma.validate.OneOf(CONTRACTOR_STATUSES))
    search = ma.fields.String(validate=ma.validate.Length(1, 200))


@blp.route("/contractors")
class Contractors(MethodView):
    @roles(*STAFF)
    @blp.arguments(ContractorListArgs, location="query")
    @blp.response(200, page_schema(ContractorSchema, "ContractorPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List contractors; filter by country, status, or search name/email/external_ref."""
        stmt = services.list_contractors_query(
            country=args.get("country"), status=args.get("status"), search=args.get("search")
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles("admin", "ops")
    @blp.arguments(ContractorCreateSchema)
    @blp.response(201, ContractorSchema)
    @problems("duplicate_email", "duplicate_external_ref", "confusable_email")
    def post(self, data: dict[str, Any]) -> Contractor:
        """Create a contractor. Timezone, locale and currency default from the country."""
        return services.create_contractor(db.session(), data)


@blp.route("/contractors/<int:contractor_id>")
class ContractorItem(MethodView):
    @roles(*STAFF, "contractor")
    @blp.response(200, ContractorSchema)
    def get(self, contractor_id: int) -> Contractor:
        """One contractor (a contractor token sees only itself)."""
        access.own(contractor_id)
        return services.get_contractor(db.session(), contractor_id)

    @roles("admin", "ops")
    @blp.arguments(ContractorPatchSchema)
    @blp.response(200, ContractorSchema)
    @problems(
        "duplicate_email",
        "duplicate_external_ref",
        "confusable_email",
        "contractor_offboarded",
        "use_offboard_endpoint",
    )
    def patch(self, changes: dict[str, Any], contractor_id: int) -> Contractor:
        """Change a contractor's details or suspend/reactivate them."""
        return services.update_contractor(db.session(), contractor_id, changes)


@blp.route("/contractors/<int:contractor_id>/offboard")
class ContractorOffboard(MethodView):
    @roles("admin", "ops")
    @blp.arguments(OptionalReasonSchema, required=False)
    @blp.response(200, ContractorSchema)
    @problems("already_offboarded")
    def post(self, data: dict[str, Any], contractor_id: int) -> Contractor:
        """Offboard: status ``offboarded`` and every token of the contractor revoked."""
        return services.offboard_contractor(db.session(), contractor_id, data.get("reason"))


class ContractorImportArgs(QuerySchema):
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "check and count every row, store nothing"},
    )


class ImportRowSchema(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "the row's number; the header is row 1"})
    external_ref = ma.fields.String(metadata={"example": "KE-0042"})
    outcome = ma.fields.String(metadata={"enum": ["created", "updated", "unchanged"]})
    id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the contractor; null for a dry run's new row"}
    )
    changed = ma.fields.List(
        ma.fields.String(), metadata={"description": "what an update changed", "example": ["email"]}
    )


class ContractorImportSchema(ma.Schema):
    dry_run = ma.fields.Boolean()
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(ImportRowSchema))


class ContractorExportArgs(QuerySchema):
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(("csv", "xlsx")))
    country = ma.fields.String(validate=ma.validate.Length(2, 2))
    status = ma.fields.String(validate=ma.validate.OneOf(CONTRACTOR_STATUSES))
    search = ma.fields.String(validate=ma.validate.Length(1, 200))


_TABLE_EXAMPLE = (
    "external_ref,full_name,email,country,subdivision,timezone,locale,currency,status\r\n"
    "KE-0042,Jordan Lee,jordan@example.org,KE,,Africa/Nairobi,sw_KE,KES,active\r\n"
)


@blp.route("/contractors/import")
class ContractorImport(MethodView):
    @roles("admin", "ops")
    @blp.arguments(ContractorImportArgs, location="query")
    @blp.doc(
        requestBody={
            "required": True,
            "description": "a table whose first row names the columns (docs/contractors-bulk.md)",
            "content": {
                bulk.CSV_TYPE: {"schema": {"type": "string"}, "example": _TABLE_EXAMPLE},
                bulk.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    )
    @blp.response(200, ContractorImportSchema)
    @problems("import_too_large", "unsupported_media_type")
    def post(self, args: dict[str, Any]) -> bulk.ImportResult:
        """Create and update contractors from a CSV or XLSX table, all or nothing.

        Columns: ``external_ref``, ``full_name``, ``email``, ``country`` (required),
        ``subdivision``, ``timezone``, ``locale``, ``currency``, ``status`` (optional). Each
        row is checked as ``POST /contractors`` (a new ``external_ref``) or ``PATCH
        /contractors/{id}`` (a known one) checks it; an empty cell leaves the field as it is.
        Any bad row answers one 422 whose ``errors`` name every ``rows.<n>.<field>`` (the
        header is row 1), and nothing is stored. A row equal to what is stored is
        ``unchanged``: an import may be run again safely. ``dry_run=true`` checks and counts
        without storing. At most 4 MiB and 10,000 rows (413)."""
        session = db.session()
        table = bulk.read_table(request.get_data(cache=True), request.content_type or "")
        return bulk.import_contractors(session, table, dry_run=args["dry_run"])


@blp.route("/contractors/export")
class ContractorExport(MethodView):
    @roles(*STAFF)
    @blp.arguments(ContractorExportArgs, location="query")
    @blp.response(
        200,
        {"type": "string"},
        content_type=bulk.CSV_TYPE,
        description="the table (CSV, or XLSX with format=xlsx) an import reads",
        headers=READ_FROM_HEADERS,
    )
    @blp.alt_response(
        200,
        schema={"type": "string", "format": "binary"},
        content_type=bulk.XLSX_TYPE,
        success=True,
    )
    def get(self, args: dict[str, Any]) -> Response:
        """The contractors as a CSV or XLSX table, in the columns an import reads.

        Filter as the list does (``country``, ``status``, ``search``). Importing the file
        unchanged changes nothing. A CSV cell that a spreadsheet would run as a formula is
        written with a leading ``'``, which an import takes off."""
        stmt = services.list_contractors_query(
            country=args.get("country"), status=args.get("status"), search=args.get("search")
        )
        rows = bulk.export_rows(db.session(replica=True), stmt)
        day = db.utcnow().date().isoformat()
        if args["format"] == "xlsx":
            body: str | bytes = bulk.to_xlsx(rows)
            content_type = bulk.XLSX_TYPE
        else:
            body, content_type = bulk.to_csv(rows), f"{bulk.CSV_TYPE}; charset=utf-8"
        filters = [f"{key}-{args[key]}" for key in ("country", "status") if args.get(key)]
        return download(
            body, content_type, file_name("contractors", day, *filters, ext=args["format"])
        )
