"""Compliance reports: ``GET /reports/exposure`` (json, csv, xlsx), ``/reports/exposure.png``,
``/reports/rotations``, ``/reports/wellbeing``, ``/reports/pay`` (json, csv, xlsx),
``/reports/pay.png``, ``/reports/runs/{id}``. Every report served is stored as a run.

The pay report is the one place pay's figures (``workforce.pay.report``) meet the reports'
suppression and evidence (``workforce.reports``): the two packages never import each other."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    READ_FROM_HEADERS,
    QuerySchema,
    read_from_fields,
    replica_reader,
)
from workforce.api.openapi import problems
from workforce.audit import current_actor
from workforce.errors import InvalidInput, NotFound
from workforce.exposure import policy
from workforce.extensions import Blueprint
from workforce.harm import HARM_CATEGORIES, MODALITIES, UNKNOWN
from workforce.http import download, file_name
from workforce.identity.access import roles
from workforce.pay import report as pay_report
from workforce.reports import chart, services, wellbeing, writers
from workforce.reports.chart import pay_png as pay_chart
from workforce.reports.evidence import content_hash, day_start, get_run
from workforce.reports.exposure import GROUP_KEYS, MITIGATION_FILTERS, ExposureArgs
from workforce.reports.suppression import effective_k
from workforce.translation import DEFAULT_LANGUAGE, LANGUAGES, supported_language

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Compliance reports")

READERS = ("admin", "compliance")
FORMATS = ("json", "csv", "xlsx")
#: A CSV's header: the JSON's machine names (default) or the human titles of the XLSX.
CSV_COLUMNS = ("names", "titles")


def _language_code(value: str) -> None:
    if supported_language(value) is None:
        raise ma.ValidationError(f"one of {', '.join(LANGUAGES)} (or a locale of one)")


class TableArgs(ma.Schema):
    """What a downloaded table looks like (``format=csv|xlsx``)."""

    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(FORMATS))
    locale = ma.fields.String(
        validate=[ma.validate.Length(2, 35), _language_code],
        metadata={
            "description": "language of the XLSX column titles (and of a CSV's with "
            "columns=titles): en, sw, fil, es or a locale of one (sw_KE); default: the "
            "Accept-Language header, then English"
        },
    )
    columns = ma.fields.String(
        load_default="names",
        validate=ma.validate.OneOf(CSV_COLUMNS),
        metadata={
            "description": "a CSV's header: names (the JSON's machine names, stable for "
            "programs) or titles (the XLSX's human titles in the requester's language)"
        },
    )


class PeriodArgs(QuerySchema):
    class Meta:
        unknown = ma.RAISE

    from_ = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "first local day, YYYY-MM-DD"}
    )
    to = ma.fields.Date(required=True, metadata={"description": "last local day (inclusive)"})
    country = ma.fields.String(
        validate=ma.validate.Regexp(r"^[A-Z]{2}$"), metadata={"description": "ISO 3166-1"}
    )


class ChartArgs(PeriodArgs):
    category = ma.fields.String(validate=ma.validate.OneOf(HARM_CATEGORIES))
    queue = ma.fields.String(
        validate=ma.validate.Length(1, 64), metadata={"description": "a queue's slug"}
    )
    modality = ma.fields.String(
        validate=ma.validate.OneOf((*MODALITIES, UNKNOWN)),
        metadata={"description": "only exposure of this modality (unknown: events not saying)"},
    )
    mitigation = ma.fields.String(
        validate=ma.validate.OneOf(MITIGATION_FILTERS),
        metadata={
            "description": "only exposure whose mitigations include this one; none: events "
            "saying none; unknown: events not saying"
        },
    )


class ExposureReportArgs(ChartArgs, TableArgs):
    tier = ma.fields.Integer(validate=ma.validate.Range(1, 3))
    group_by = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, 100)),
        metadata={
            "description": f"repeat or comma-separate: {', '.join(GROUP_KEYS)}; "
            "contractor is compliance casework and is audited"
        },
    )


def _raw(*names: str) -> dict[str, ma.fields.Field]:
    """A report's fields, and where its figures were read (``read_from``, ...)."""
    return {**{name: ma.fields.Raw() for name in names}, **read_from_fields()}


_EVIDENCE = (
    "run_id",
    "kind",
    "period",
    "filters",
    "policy_versions",
    "generated_at",
    "generated_by",
    "sha256",
)
ExposureReportSchema = type(
    "ExposureReport",
    (ma.Schema,),
    _raw(*_EVIDENCE, "group_by", "min_group", "metrics", "modality_weights", "rows", "total"),
)
RotationReportSchema = type(
    "RotationReport",
    (ma.Schema,),
    _raw(
        *_EVIDENCE,
        "rotations",
        "contractors",
        "breaches",
        "by_reason",
        "by_outcome",
        "by_reason_and_outcome",
        "reviews_requested",
        "reviews_overturned",
        "shifts_reassigned",
        "shifts_cancelled",
        "shifts_needing_cover",
        "breach_to_rotation_median_seconds",
        "breach_to_rotation_p95_seconds",
        "sweep_interval_seconds",
        "late_rotations",
    ),
)


PayReportSchema = type(
    "PayReport",
    (ma.Schema,),
    _raw(
        *_EVIDENCE,
        "group_by",
        "key_columns",
        "min_group",
        "metrics",
        "rows",
        "total",
        "reporting_currency",
        "wage_distributions",
        "wage_distributions_paid_on",
        "exchange_rates",
    ),
)

WellbeingReportSchema = type(
    "WellbeingReport", (ma.Schema,), _raw(*_EVIDENCE, "group_by", "min_group", "rows", "total")
)

#: A stored run: one of the reports, as it was served.
ReportRunSchema = type(
    "ReportRun",
    (ma.Schema,),
    _raw(
        *ExposureReportSchema().fields,
        *RotationReportSchema().fields,
        *WellbeingReportSchema().fields,
        *PayReportSchema().fields,
    ),
)


class WellbeingReportArgs(PeriodArgs):
    country = None  # type: ignore[assignment]  # grouping by country replaces the filter
    group_by = ma.fields.String(
        load_default="country", validate=ma.validate.OneOf(wellbeing.GROUPS)
    )

    class Meta:
        unknown = ma.RAISE
        exclude = ("country",)


class PayChartArgs(PeriodArgs):
    country = None  # type: ignore[assignment]  # grouping by country replaces the filter
    group_by = ma.fields.String(
        load_default="country", validate=ma.validate.OneOf(pay_report.GROUPS)
    )
    reporting_currency = ma.fields.String(
        load_default=pay_report.DEFAULT_REPORTING_CURRENCY,
        validate=ma.validate.Regexp(r"^[A-Z]{3}$"),
        metadata={"description": "ISO 4217; the currency every row is also shown in"},
    )

    class Meta:
        unknown = ma.RAISE
        exclude = ("country",)


class PayReportArgs(PayChartArgs, TableArgs):
    class Meta:
        unknown = ma.RAISE
        exclude = ("country",)


def _group_by(raw: list[str] | None) -> tuple[str, ...]:
    keys: list[str] = []
    for item in raw or []:
        for key in item.split(","):
            key = key.strip()
            if key not in GROUP_KEYS:
                raise InvalidInput.field("group_by", f"unknown key {key[:40]!r}: {GROUP_KEYS}")
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def _store(content: dict[str, Any]) -> dict[str, Any]:
    """Keep the run in its own short write transaction (the request itself only reads),
    saying where its figures were read (``read_from``, ``replica_lag_seconds``: part of
    the content, so of its hash and of the stored run)."""
    content.update(db.read_from().fields())
    content["sha256"] = content_hash(content)
    with db.get_db().writer() as session, session.begin():
        services.record_run(session, content, current_actor())
    return content


def _exposure(args: dict[str, Any], group_by: tuple[str, ...]) -> dict[str, Any]:
    query = ExposureArgs(
        start=args["from_"],
        end=args["to"],
        group_by=group_by,
        country=args.get("country"),
        queue=args.get("queue"),
        tier=args.get("tier"),
        category=args.get("category"),
        modality=args.get("modality"),
        mitigation=args.get("mitigation"),
    )
    content = services.exposure_content(
        replica_reader(),
        query,
        k=effective_k(current_app.config["REPORT_MIN_GROUP"]),
        actor=current_actor(),
        now=db.utcnow(),
    )
    return _store(content)


def _evidence_headers(content: dict[str, Any]) -> dict[str, str]:
    return {
        "X-Report-Run": str(content["run_id"]),
        "X-Report-SHA256": content["sha256"],
        "Cache-Control": "no-store",
    }


def _language(args: dict[str, Any]) -> str:
    """The requester's language: ``locale=``, else the best of Accept-Language."""
    if args.get("locale"):
        return supported_language(args["locale"]) or DEFAULT_LANGUAGE
    for value, _quality in request.accept_languages:  # best first
        language = supported_language(value)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


def report_file_name(content: dict[str, Any], ext: str, what: str = "report") -> str:
    """``exposure-report_2026-03-02_2026-03-15_queue-gore_by-country-week.xlsx``: the
    report, its period, its filters and its grouping."""
    group_by = content.get("group_by") or []
    if isinstance(group_by, str):
        group_by = [group_by]
    return file_name(
        f"{content['kind']}-{what}",
        content["period"]["from"],
        content["period"]["to"],
        *(f"{name}-{value}" for name, value in content["filters"].items()),
        f"by-{'-'.join(group_by)}" if group_by else None,
        ext=ext,
    )


def _table(content: dict[str, Any], args: dict[str, Any]) -> Any:
    """The report as asked: JSON, or its table as a CSV or XLSX download."""
    if args["format"] == "csv":
        language = _language(args) if args["columns"] == "titles" else None
        return download(
            writers.to_csv(content, language),
            "text/csv; charset=utf-8",
            report_file_name(content, "csv"),
            _evidence_headers(content),
        )
    if args["format"] == "xlsx":
        return download(
            writers.to_xlsx(content, _language(args)),
            writers.XLSX_TYPE,
            report_file_name(content, "xlsx"),
            _evidence_headers(content),
        )
    return content


def _table_responses(schema: type[ma.Schema]) -> dict[str, Any]:
    """The documented 200 of a report that answers JSON, or its table as CSV or XLSX."""
    return {
        "200": {
            "description": "the report (JSON), or its table as CSV or XLSX",
            "content": {
                "application/json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
                writers.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


def _png_response(description: str) -> Any:
    """The documented 200 of a report drawn as a PNG chart."""
    return blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="image/png",
        headers=READ_FROM_HEADERS,
        description=description,
    )


@blp.route("/reports/exposure")
class ExposureReport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExposureReportArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, ExposureReportSchema, headers=READ_FROM_HEADERS)
    @blp.doc(responses=_table_responses(ExposureReportSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Exposure per group from the daily roll-ups, small groups suppressed; stored as
        a run. ``format=csv|xlsx`` gives the same rows and total as a table."""
        return _table(_exposure(args, _group_by(args.get("group_by"))), args)


@blp.route("/reports/exposure.png")
class ExposureChart(MethodView):
    @roles(*READERS)
    @blp.arguments(ChartArgs, location="query", unknown=ma.RAISE)
    @_png_response("weekly exposure per tier with the daily caps drawn")
    def get(self, args: dict[str, Any]) -> Response:
        """Weekly mean daily minutes at each tier and above, against each tier's cap
        (policy in force at ``to``): the exposure report grouped by week, drawn; a
        suppressed week is a gap. The filters are those of the report (and in the title)."""
        content = _exposure({**args, "format": "json"}, ("week",))
        caps = dict.fromkeys((1, 2, 3))
        session = db.session()
        rules = policy.current_policy(session, day_start(args["to"]))
        for tier in caps:
            caps[tier] = rules.tier(tier).daily_cap_minutes
        return download(
            chart.exposure_png(content, caps),
            "image/png",
            report_file_name(content, "png", "chart"),
            _evidence_headers(content),
        )


@blp.route("/reports/rotations")
class RotationReport(MethodView):
    @roles(*READERS)
    @blp.arguments(PeriodArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, RotationReportSchema, headers=READ_FROM_HEADERS)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Breaches, rotations by reason and outcome, reviews, shifts, late rotations."""
        content = services.rotations_content(
            replica_reader(),
            args["from_"],
            args["to"],
            country=args.get("country"),
            sweep_interval_seconds=current_app.config["SWEEP_INTERVAL_SECONDS"],
            actor=current_actor(),
            now=db.utcnow(),
        )
        return _store(content)


@blp.route("/reports/wellbeing")
class WellbeingReport(MethodView):
    @roles(*READERS)
    @blp.arguments(WellbeingReportArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, WellbeingReportSchema, headers=READ_FROM_HEADERS)
    @problems("period_not_aligned", "period_not_closed")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Check-in participation and share flagged per country or queue: aggregates only,
        groups of fewer than ``REPORT_MIN_GROUP`` participants suppressed."""
        content = services.wellbeing_content(
            # the primary: a bin that is over is frozen for good from what this reads, and
            # a lagging replica would leave its last check-ins out of it for ever
            replica_reader(replica=False),
            args["from_"],
            args["to"],
            group_by=args["group_by"],
            k=effective_k(current_app.config["REPORT_MIN_GROUP"]),
            actor=current_actor(),
            now=db.utcnow(),
            freeze=_freeze,
        )
        return _store(content)


def _freeze(bin_: wellbeing.Bin, data: wellbeing.BinData) -> wellbeing.BinData:
    """Store a bin that is over in its own short write transaction, like a run."""
    with db.get_db().writer() as session, session.begin():
        return wellbeing.freeze_bin(session, bin_, data)


def _pay(args: dict[str, Any]) -> dict[str, Any]:
    session = db.session(replica=True)
    figures = pay_report.pay_figures(
        session,
        args["from_"],
        args["to"],
        group_by=args["group_by"],
        reporting_currency=args["reporting_currency"],
    )
    content = services.pay_content(
        figures,
        args["from_"],
        args["to"],
        policy_versions=figures.policy_versions,
        k=effective_k(current_app.config["REPORT_MIN_GROUP"]),
        actor=current_actor(),
        now=db.utcnow(),
    )
    return _store(content)


@blp.route("/reports/pay")
class PayReport(MethodView):
    @roles(*READERS)
    @blp.arguments(PayReportArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, PayReportSchema, headers=READ_FROM_HEADERS)
    @blp.doc(responses=_table_responses(PayReportSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """What final pay statements paid per hour (base and each premium, local and
        reporting currency), placed on the local wage distribution, with the share of hours
        paid below the policy's target and below the living-wage floor; small groups
        suppressed; stored as a run. ``format=csv|xlsx`` gives the same rows as a table."""
        return _table(_pay(args), args)


@blp.route("/reports/pay.png")
class PayChart(MethodView):
    @roles(*READERS)
    @blp.arguments(PayChartArgs, location="query", unknown=ma.RAISE)
    @_png_response("per group, the percentile of local wages base and effective pay reach")
    def get(self, args: dict[str, Any]) -> Response:
        """The pay report as a chart: percentiles per group, the target drawn dashed."""
        content = _pay(args)
        return download(
            pay_chart(content),
            "image/png",
            report_file_name(content, "png", "chart"),
            _evidence_headers(content),
        )


@blp.route("/reports/runs/<int:run_id>")
class ReportRunView(MethodView):
    @roles(*READERS)
    @blp.response(200, ReportRunSchema, headers=READ_FROM_HEADERS)
    def get(self, run_id: int) -> dict[str, Any]:
        """A stored run, exactly as it was served (its ``sha256`` can be recomputed); its
        ``read_from`` is where the run's figures were read. A run the replica does not have
        yet is read from the primary."""
        try:
            return get_run(db.session(replica=True), run_id)
        except NotFound:
            if db.read_from().source != "replica":
                raise
            return get_run(db.use_primary(), run_id)
