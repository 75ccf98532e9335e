"""The hourly base rate: the policy in force read against the local wage distribution.

The arithmetic is :func:`workforce.pay.wages.derive_hourly_rate`; this module finds its
inputs and keeps them as evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from workforce.errors import Conflict, InvalidInput
from workforce.i18n import validate_country
from workforce.pay.distributions import find_distribution, percentile_points
from workforce.pay.inputs import optional_subdivision, valid_year
from workforce.pay.models import WageDistribution
from workforce.pay.policies import PolicyVersion, policy_in_force
from workforce.pay.wages import RateDerivation, derive_hourly_rate


@dataclass(frozen=True)
class Rate:
    """An hourly base rate and everything it was derived from."""

    country: str
    subdivision: str | None
    policy: PolicyVersion
    distribution: WageDistribution
    hours_per_month: Decimal
    derivation: RateDerivation

    @property
    def currency(self) -> str:
        return self.derivation.currency

    @property
    def hourly_rate(self) -> Decimal:
        return self.derivation.hourly_rate

    def evidence(self) -> dict[str, Any]:
        d = self.distribution
        floor = self.policy.terms.floor_for(self.country)
        return {
            "policy": {
                "version": self.policy.version,
                "effective_from": (
                    self.policy.effective_from.isoformat() if self.policy.effective_from else None
                ),
                "terms": self.policy.terms.to_json(),
            },
            "wage_distribution": d.evidence(),
            "rate": {
                "hourly_rate": f"{self.hourly_rate:f}",
                "currency": self.currency,
                "percentile": f"{self.derivation.percentile:f}",
                "interpolated_between": [f"p{p}" for p in self.derivation.interpolated_between],
                "hours_per_month": f"{self.hours_per_month:f}" if d.period == "month" else None,
                "floor": f"{floor.hourly:f}" if floor else None,
                "floor_applied": self.derivation.floor_applied,
                "explanation": self.derivation.explanation,
            },
        }


def rate_for(
    session: Session, country: str, subdivision: str | None, year: int, at: dt.datetime
) -> Rate:
    """The hourly base rate in ``country``/``subdivision`` for ``year`` under the policy in
    force at ``at``: the target percentile of the local distribution, floored."""
    country = validate_country(country)
    subdivision = optional_subdivision(subdivision, country)
    valid_year(year)
    policy = policy_in_force(session, at)
    distribution = find_distribution(session, country, subdivision, year)
    floor = policy.terms.floor_for(country)
    if floor is not None and floor.currency != distribution.currency:
        raise Conflict(
            f"the living-wage floor for {country} is in {floor.currency} but the wage "
            f"distribution is in {distribution.currency}",
            code="floor_currency_mismatch",
        )
    hours = policy.terms.hours_per_month_for(country)
    try:
        derivation = derive_hourly_rate(
            percentile_points(distribution),
            policy.terms.target_percentile,
            distribution.period,
            hours,
            distribution.currency,
            floor.hourly if floor else None,
        )
    except InvalidInput as exc:
        # The policy and the distribution are each valid but do not fit together.
        raise Conflict(
            f"the policy's target percentile cannot be read off wage distribution "
            f"{distribution.id}: {exc.detail}",
            code="percentile_out_of_range",
        ) from None
    return Rate(country, subdivision, policy, distribution, hours, derivation)
