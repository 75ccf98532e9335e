"""Pay data: ``/pay/wage-distributions``, ``/pay/rates``, ``/pay/policies``,
``/pay/exchange-rates``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import (
    InputSchema,
    MoneyString,
    PageArgs,
    QuerySchema,
    Timestamp,
    page_schema,
    paginate,
)
from workforce.api.openapi import problems
from workforce.extensions import Blueprint
from workforce.identity.access import roles
from workforce.pay import distributions, policies, rates
from workforce.pay.exchange_rates import exchange_rates_query
from workforce.pay.inputs import MAX_YEAR, MIN_YEAR
from workforce.pay.models import WAGE_PERIODS, ExchangeRate, PayPolicy, WageDistribution
from workforce.pay.render import plain

blp = Blueprint("pay", __name__, url_prefix="/api/v1", description="Wages, rates and pay policy")

#: Who manages pay, and who may read pay data (never the wellbeing role).
MANAGE = ("admin", "ops")
READ = ("admin", "ops", "compliance")

_COUNTRY = ma.validate.Regexp(r"^[A-Za-z]{2}$", error="an ISO 3166-1 alpha-2 code")
_CURRENCY = ma.validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code (upper case)")


class WageDistributionSchema(ma.Schema):
    id = ma.fields.Integer()
    country = ma.fields.String()
    subdivision = ma.fields.String(allow_none=True)
    year = ma.fields.Integer()
    currency = ma.fields.String()
    period = ma.fields.String(metadata={"enum": list(WAGE_PERIODS)})
    percentiles = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": 'pay per period at percentiles: {"p10": "60.00", ...}'},
    )
    source = ma.fields.String()
    created_at = ma.fields.DateTime()


class WageDistributionCreateSchema(InputSchema):
    country = ma.fields.String(required=True, validate=_COUNTRY)
    subdivision = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(4, 6), metadata={"description": "ISO 3166-2"}
    )
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(MIN_YEAR, MAX_YEAR))
    currency = ma.fields.String(required=True, validate=_CURRENCY)
    period = ma.fields.String(required=True, validate=ma.validate.OneOf(WAGE_PERIODS))
    percentiles = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(validate=ma.validate.Regexp(r"^p[1-9][0-9]?$")),
        values=MoneyString(),
        validate=ma.validate.Length(5, 99),
        metadata={"description": "at least p10, p25, p50, p75, p90; strictly increasing"},
    )
    source = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class WageDistributionArgs(PageArgs):
    country = ma.fields.String(validate=_COUNTRY)
    year = ma.fields.Integer(validate=ma.validate.Range(MIN_YEAR, MAX_YEAR))


class RateArgs(QuerySchema):
    country = ma.fields.String(required=True, validate=_COUNTRY)
    subdivision = ma.fields.String(validate=ma.validate.Length(4, 6))
    year = ma.fields.Integer(
        validate=ma.validate.Range(MIN_YEAR, MAX_YEAR),
        metadata={"description": "wage data of this year or before (default: this year)"},
    )


class RateSchema(ma.Schema):
    country = ma.fields.String()
    subdivision = ma.fields.String(allow_none=True)
    currency = ma.fields.String()
    percentile = ma.fields.String()
    hourly_rate = ma.fields.String(metadata={"description": "decimal string"})
    policy_version = ma.fields.Integer()
    derivation = ma.fields.Dict(
        metadata={"description": "interpolation points, hours per month, floor, explanation"}
    )
    wage_distribution = ma.fields.Dict()


class FloorSchema(InputSchema):
    currency = ma.fields.String(required=True, validate=_CURRENCY)
    hourly = MoneyString(required=True)


class NightWindowSchema(InputSchema):
    start = ma.fields.String(required=True, metadata={"example": "22:00"})
    end = ma.fields.String(required=True, metadata={"example": "06:00"})


def _per_country(description: str) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(),
        values=MoneyString(),
        metadata={"description": description + '; keys are country codes and "default"'},
    )


class PayPolicyTermsSchema(ma.Schema):
    target_percentile = MoneyString(metadata={"description": "1 to 99; default 65"})
    hours_per_month = _per_country("hours for monthly → hourly conversion")
    living_wage_floors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(FloorSchema),
        metadata={"description": "per country: the hourly rate never goes below it"},
    )
    night_window = ma.fields.Nested(NightWindowSchema)
    night_premium_percent = MoneyString()
    holiday_premium_percent = MoneyString()
    hazard_premium_percent = ma.fields.Dict(
        keys=ma.fields.String(), values=MoneyString(), metadata={"description": "per tier 0-3"}
    )
    credential_premium_percent = ma.fields.Dict(
        keys=ma.fields.String(),
        values=MoneyString(),
        metadata={"description": "per credential code a queue requires (PHD, RN)"},
    )
    overtime_premium_percent = MoneyString()
    overtime_weekly_hours = _per_country("hours in a local ISO week before overtime")


class PayPolicyCreateSchema(PayPolicyTermsSchema, InputSchema):
    effective_from = Timestamp(metadata={"description": "default: now"})
    note = ma.fields.String(validate=ma.validate.Length(1, 2000))


class PayPolicySchema(PayPolicyTermsSchema):
    version = ma.fields.Integer(metadata={"description": "0 = the built-in defaults"})
    effective_from = ma.fields.DateTime(allow_none=True)
    note = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(allow_none=True)


class ExchangeRateSchema(ma.Schema):
    id = ma.fields.Integer()
    date = ma.fields.Date()
    base = ma.fields.String()
    quote = ma.fields.String()
    rate = ma.fields.String(metadata={"description": "1 base = rate quote"})
    source = ma.fields.String()


class ExchangeRateArgs(PageArgs):
    base = ma.fields.String(validate=_CURRENCY)
    quote = ma.fields.String(validate=_CURRENCY)


def _policy(version: policies.PolicyVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "effective_from": version.effective_from,
        "note": version.note,
        "created_at": version.created_at,
        **version.terms.to_json(),
    }


def _exchange_rate(row: ExchangeRate) -> dict[str, Any]:
    return {
        "id": row.id,
        "date": row.on_date,
        "base": row.base,
        "quote": row.quote,
        "rate": plain(row.rate),
        "source": row.source,
    }


def _policy_row(row: PayPolicy) -> dict[str, Any]:
    return _policy(policies.PolicyVersion.of(row))


@blp.route("/pay/wage-distributions")
class WageDistributions(MethodView):
    @roles(*READ)
    @blp.arguments(WageDistributionArgs, location="query")
    @blp.response(200, page_schema(WageDistributionSchema, "WageDistributionPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Wage distributions, by country and year."""
        stmt = distributions.distributions_query(country=args.get("country"), year=args.get("year"))
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles(*MANAGE)
    @blp.arguments(WageDistributionCreateSchema)
    @blp.response(201, WageDistributionSchema)
    @problems("duplicate_wage_distribution")
    def post(self, data: dict[str, Any]) -> WageDistribution:
        """Add a wage distribution (never replaced: statements cite it)."""
        return distributions.add_distribution(db.session(), data)[0]


@blp.route("/pay/wage-distributions/<int:distribution_id>")
class WageDistributionItem(MethodView):
    @roles(*READ)
    @blp.response(200, WageDistributionSchema)
    def get(self, distribution_id: int) -> WageDistribution:
        """One wage distribution."""
        return distributions.get_distribution(db.session(), distribution_id)


@blp.route("/pay/rates")
class Rates(MethodView):
    @roles(*READ)
    @blp.arguments(RateArgs, location="query")
    @blp.response(200, RateSchema)
    @problems("no_wage_distribution", "floor_currency_mismatch", "percentile_out_of_range")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The hourly base rate: the policy's target percentile of the local wages."""
        now = db.utcnow()
        rate = rates.rate_for(
            db.session(),
            args["country"].upper(),
            args.get("subdivision"),
            args.get("year") or now.year,
            now,
        )
        evidence = rate.evidence()
        return {
            "country": rate.country,
            "subdivision": rate.subdivision,
            "currency": rate.currency,
            "percentile": evidence["rate"]["percentile"],
            "hourly_rate": evidence["rate"]["hourly_rate"],
            "policy_version": rate.policy.version,
            "derivation": evidence["rate"],
            "wage_distribution": evidence["wage_distribution"],
        }


@blp.route("/pay/policies")
class Policies(MethodView):
    @roles(*READ)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(PayPolicySchema, "PayPolicyPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Stored pay policy versions, newest first."""
        page = paginate(db.session(), policies.policies_query(), args["page"], args["page_size"])
        return {**page, "items": [_policy_row(row) for row in page["items"]]}

    @roles(*MANAGE)
    @blp.arguments(PayPolicyCreateSchema)
    @blp.response(201, PayPolicySchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """A new policy version; terms left out are copied from the latest version."""
        return _policy(policies.create_policy(db.session(), data))


@blp.route("/pay/policies/current")
class CurrentPolicy(MethodView):
    @roles(*READ)
    @blp.response(200, PayPolicySchema)
    def get(self) -> dict[str, Any]:
        """The version in force now (version 0: the built-in defaults)."""
        return _policy(policies.policy_in_force(db.session(), db.utcnow()))


@blp.route("/pay/exchange-rates")
class ExchangeRates(MethodView):
    @roles(*READ)
    @blp.arguments(ExchangeRateArgs, location="query")
    @blp.response(200, page_schema(ExchangeRateSchema, "ExchangeRatePage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Imported exchange rates (``flask --app workforce pay import-rates``)."""
        stmt = exchange_rates_query(base=args.get("base"), quote=args.get("quote"))
        page = paginate(db.session(), stmt, args["page"], args["page_size"])
        return {**page, "items": [_exchange_rate(row) for row in page["items"]]}
