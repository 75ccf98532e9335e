"""A rotation's explanation as one sentence in the contractor's language.

The sentences are in the gettext catalogs (``workforce/translations``), as every other
sentence a person reads; a language without a catalog reads English. Numbers and dates are
formatted by Babel for the requested locale, dates in the contractor's zone.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal

from workforce.rotations.models import Rotation
from workforce.timeutil import load_zone
from workforce.translation import DEFAULT_LANGUAGE, N_, supported_language, translations

#: The first half of the sentence: what was measured against which limit, by rule.
RULES: dict[str, str] = {
    "daily_limit": N_(
        "Today's exposure at tier %(tier)s reached %(measured)s of the daily limit of"
        " %(limit)s minutes"
    ),
    "weekly_limit": N_(
        "Your exposure at tier %(tier)s over the last 7 days reached %(measured)s of the"
        " %(limit)s-minute limit"
    ),
    "consecutive_days": N_(
        "You worked %(measured)s days in a row at tier %(tier)s; the limit is %(limit)s"
    ),
    "credential_expired": N_("A credential needed for your upcoming shift has expired"),
    "planned": N_("You have worked %(measured)s weeks in a row on tier-3 content"),
}
OTHER = N_("You were rotated off sensitive queues")
#: The second half: until when, and under which policy version when one decided it (a
#: manual or self-requested rotation has none, and says nothing of one).
UNTIL = N_("You are off sensitive queues until %(until)s (policy version %(version)s).")
UNTIL_UNVERSIONED = N_("You are off sensitive queues until %(until)s.")
#: Rules whose sentence needs the tier.
TIERED = ("daily_limit", "weekly_limit", "consecutive_days")


def summary(rotation: Rotation, locale: str, timezone: str) -> str:
    """One localized sentence: what was measured against which limit, and until when."""
    language = supported_language(locale)
    if language is None:
        language, locale = DEFAULT_LANGUAGE, DEFAULT_LANGUAGE
    catalog = translations(language)
    explanation: dict[str, Any] = rotation.explanation or {}
    rule = explanation.get("rule", "")

    def number(value: Any) -> str:
        return format_decimal(value, locale=locale) if isinstance(value, int) else str(value)

    values = {
        "tier": explanation.get("tier", ""),
        "measured": number(explanation.get("measured", "")),
        "limit": number(explanation.get("limit", "")),
        "version": explanation.get("policy_version"),
        "until": format_datetime(
            rotation.ends_at, "medium", tzinfo=load_zone(timezone), locale=locale
        ),
    }
    first = RULES.get(rule, OTHER)
    if rule in TIERED and not values["tier"]:
        first = OTHER
    until = UNTIL if values["version"] not in (None, "") else UNTIL_UNVERSIONED
    return f"{catalog.gettext(first) % values}. {catalog.gettext(until) % values}"
