"""Wage distributions: the local pay figures a rate is read off, stored once as evidence.

Like every pay service, these validate, read and write through the caller's session and
``flush()``; the request or command commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.i18n import validate_country
from workforce.pay.inputs import currency_code, optional_subdivision, parse_decimal, valid_year
from workforce.pay.models import WAGE_PERIODS, WageDistribution
from workforce.pay.wages import parse_percentile_key, validate_percentiles


def add_distribution(
    session: Session, data: Mapping[str, Any], *, allow_identical: bool = False
) -> tuple[WageDistribution, bool]:
    """Store a wage distribution; returns it and whether it is new.

    Distributions are evidence on statements, so they are never changed: a second one for
    the same place and year is a 409, unless ``allow_identical`` and it is the same data
    (re-running an import).
    """
    country = validate_country(str(data.get("country", "")))
    subdivision = optional_subdivision(data.get("subdivision"), country)
    year = valid_year(data.get("year"))
    currency = currency_code(data.get("currency"))
    period = data.get("period")
    if period not in WAGE_PERIODS:
        raise InvalidInput.field("period", "must be 'hour' or 'month'")
    raw = data.get("percentiles")
    if not isinstance(raw, Mapping):
        raise InvalidInput.field("percentiles", 'must be an object like {"p10": "60.00"}')
    points = validate_percentiles({k: parse_decimal(v, f"percentiles.{k}") for k, v in raw.items()})
    source = str(data.get("source") or "").strip()
    if not source:
        raise InvalidInput.field("source", "say where the figures come from")
    percentiles = {f"p{p}": f"{v:f}" for p, v in points.items()}
    scope = subdivision or country

    existing = session.scalar(
        select(WageDistribution).where(
            WageDistribution.scope == scope, WageDistribution.year == year
        )
    )
    if existing is not None:
        same = (
            existing.currency == currency
            and existing.period == period
            and percentile_points(existing) == points
            and existing.source == source
        )
        if allow_identical and same:
            return existing, False
        raise Conflict(
            f"a wage distribution for {scope} {year} exists already (id {existing.id}); "
            "distributions are evidence on statements and are never replaced",
            code="duplicate_wage_distribution",
        )
    distribution = WageDistribution(
        country=country,
        subdivision=subdivision,
        scope=scope,
        year=year,
        currency=currency,
        period=period,
        percentiles=percentiles,
        source=source,
        created_by_token_id=audit.current_actor().token_id,
    )
    session.add(distribution)
    session.flush()
    audit.record(
        session,
        "wage_distribution.create",
        "wage_distribution",
        distribution.id,
        {"scope": scope, "year": year, "currency": currency, "period": period},
    )
    return distribution, True


def percentile_points(distribution: WageDistribution) -> dict[int, Decimal]:
    """The stored percentiles as ``{10: Decimal("60.00"), ...}``, lowest first."""
    return {
        parse_percentile_key(k): Decimal(v) for k, v in sorted(distribution.percentiles.items())
    }


def get_distribution(session: Session, distribution_id: int) -> WageDistribution:
    distribution = session.get(WageDistribution, distribution_id)
    if distribution is None:
        raise NotFound(f"wage distribution {distribution_id} does not exist")
    return distribution


def distributions_query(
    *, country: str | None = None, year: int | None = None
) -> Select[tuple[WageDistribution]]:
    stmt = select(WageDistribution).order_by(
        WageDistribution.country, WageDistribution.scope, WageDistribution.year.desc()
    )
    if country:
        stmt = stmt.where(WageDistribution.country == validate_country(country))
    if year is not None:
        stmt = stmt.where(WageDistribution.year == year)
    return stmt


def find_distribution(
    session: Session, country: str, subdivision: str | None, year: int
) -> WageDistribution:
    """The latest distribution of ``year`` or before: the subdivision's own when there is
    one, else the country's. 409 when there is none."""
    base = (
        select(WageDistribution)
        .where(WageDistribution.country == country, WageDistribution.year <= year)
        .order_by(WageDistribution.year.desc())
        .limit(1)
    )
    found = None
    if subdivision:
        found = session.scalar(base.where(WageDistribution.subdivision == subdivision))
    if found is None:
        found = session.scalar(base.where(WageDistribution.subdivision.is_(None)))
    if found is None:
        where = f"{subdivision} or {country}" if subdivision else country
        raise Conflict(
            f"no wage distribution for {where} in {year} or before; import one first",
            code="no_wage_distribution",
        )
    return found
