"""A rotation's explanation as one sentence in the contractor's language.

The sentences are a small table (English, Swahili, Spanish, Filipino; anything else falls
back to English) - there are no gettext catalogs yet. Numbers and dates are formatted by
Babel for the contractor's locale, dates in the contractor's zone.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal

from workforce.rotations.models import Rotation
from workforce.timeutil import load_zone

RULES: dict[str, dict[str, str]] = {
    "en": {
        "daily_limit": "Today's exposure at tier {tier} reached {measured} of the daily limit"
        " of {limit} minutes",
        "weekly_limit": "Your exposure at tier {tier} over the last 7 days reached {measured}"
        " of the {limit}-minute limit",
        "consecutive_days": "You worked {measured} days in a row at tier {tier}; the limit is"
        " {limit}",
        "credential_expired": "A credential needed for your upcoming shift has expired",
        "planned": "You have worked {measured} weeks in a row on tier-3 content",
        "other": "You were rotated off sensitive queues",
        "until": "You are off sensitive queues until {until} (policy version {version}).",
    },
    "sw": {
        "daily_limit": "Mfiduo wako wa leo wa daraja {tier} umefikia {measured} kati ya"
        " kikomo cha kila siku cha dakika {limit}",
        "weekly_limit": "Mfiduo wako wa daraja {tier} katika siku 7 zilizopita umefikia"
        " {measured} kati ya kikomo cha dakika {limit}",
        "consecutive_days": "Umefanya kazi siku {measured} mfululizo kwenye daraja {tier};"
        " kikomo ni {limit}",
        "credential_expired": "Cheti kinachohitajika kwa zamu yako ijayo kimeisha muda",
        "planned": "Umefanya kazi wiki {measured} mfululizo kwenye maudhui ya daraja 3",
        "other": "Umeondolewa kwenye foleni nyeti",
        "until": "Hutafanya kazi kwenye foleni nyeti hadi {until} (toleo la sera {version}).",
    },
    "es": {
        "daily_limit": "Tu exposición de hoy en el nivel {tier} llegó a {measured} del límite"
        " diario de {limit} minutos",
        "weekly_limit": "Tu exposición en el nivel {tier} en los últimos 7 días llegó a"
        " {measured} del límite de {limit} minutos",
        "consecutive_days": "Trabajaste {measured} días seguidos en el nivel {tier}; el límite"
        " es {limit}",
        "credential_expired": "Una credencial necesaria para tu próximo turno ha caducado",
        "planned": "Has trabajado {measured} semanas seguidas con contenido de nivel 3",
        "other": "Te retiramos de las colas sensibles",
        "until": "Estarás fuera de las colas sensibles hasta {until} (versión de la política"
        " {version}).",
    },
    "fil": {
        "daily_limit": "Ang exposure mo ngayong araw sa tier {tier} ay umabot sa {measured}"
        " ng pang-araw-araw na limitasyong {limit} minuto",
        "weekly_limit": "Ang exposure mo sa tier {tier} sa nakaraang 7 araw ay umabot sa"
        " {measured} ng limitasyong {limit} minuto",
        "consecutive_days": "Nagtrabaho ka nang {measured} magkakasunod na araw sa tier {tier};"
        " ang limitasyon ay {limit}",
        "credential_expired": "Nag-expire na ang isang kredensyal na kailangan sa susunod mong"
        " shift",
        "planned": "Nagtrabaho ka nang {measured} magkakasunod na linggo sa tier-3 na content",
        "other": "Inalis ka sa mga sensitibong queue",
        "until": "Wala ka sa mga sensitibong queue hanggang {until} (bersyon ng patakaran"
        " {version}).",
    },
}


def summary(rotation: Rotation, locale: str, timezone: str) -> str:
    """One localized sentence: what was measured against which limit, and until when."""
    language = locale.split("_")[0]
    table = RULES.get(language, RULES["en"])
    if language not in RULES:
        locale = "en"
    explanation: dict[str, Any] = rotation.explanation or {}
    rule = explanation.get("rule", "")

    def number(value: Any) -> str:
        return format_decimal(value, locale=locale) if isinstance(value, int) else str(value)

    values = {
        "tier": explanation.get("tier", ""),
        "measured": number(explanation.get("measured", "")),
        "limit": number(explanation.get("limit", "")),
        "version": explanation.get("policy_version", "-"),
        "until": format_datetime(
            rotation.ends_at, "medium", tzinfo=load_zone(timezone), locale=locale
        ),
    }
    first = table.get(rule) if rule in RULES["en"] and rule != "until" else None
    if first is None or (
        rule in ("daily_limit", "weekly_limit", "consecutive_days") and not values["tier"]
    ):
        first = table["other"]
    return f"{first.format(**values)}. {table['until'].format(**values)}"
