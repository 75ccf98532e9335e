"""Where a notification goes: webhooks and email addresses per audience, from the
configuration, checked once at start so a bad setting stops the service instead of
leaking a notification to the wrong channel later.

Routing rules (issue 17.4): a notification goes only to the channels of its own audience;
contractor-audience notifications never go to a webhook (they may carry a contractor's
secret link) and are emailed to the contractor alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from workforce.config import ConfigError
from workforce.notifications.models import AUDIENCES

#: Audiences with staff channels (webhooks, mailing lists); "contractor" has none.
STAFF_AUDIENCES = tuple(audience for audience in AUDIENCES if audience != "contractor")
#: The Standard Webhooks spec's prefix of a base64 secret.
SECRET_PREFIX = "whsec_"
#: Shorter keys make the HMAC guessable; the spec's own secrets are 24-64 bytes.
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    #: The HMAC key: a ``whsec_`` secret base64-decoded, or a raw secret's UTF-8 bytes.
    key: bytes


def secret_key(variable: str, secret: object) -> bytes:
    """The signing key of a configured secret (the Standard Webhooks ``whsec_`` form or
    raw text), at least MIN_SECRET_BYTES long."""
    if not isinstance(secret, str) or not secret:
        raise ConfigError(variable, "every webhook needs a secret")
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error:
            raise ConfigError(variable, "a whsec_ secret must be base64") from None
    else:
        key = secret.encode()
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(variable, f"a webhook secret must be at least {MIN_SECRET_BYTES} bytes")
    return key


def _url(variable: str, url: object) -> str:
    if not isinstance(url, str):
        raise ConfigError(variable, "a webhook url must be a string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(variable, f"{url!r} is not an http(s) URL")
    return url


def _json_object(variable: str, raw: object) -> Mapping[str, Any]:
    # The environment gives text; tests and embedding may pass the parsed object.
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ConfigError(variable, f"not valid JSON ({error.msg})") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(variable, "expected a JSON object keyed by audience")
    unknown = sorted(set(raw) - set(STAFF_AUDIENCES))
    if unknown:
        raise ConfigError(
            variable, f"unknown audience {unknown[0]!r} (one of {', '.join(STAFF_AUDIENCES)})"
        )
    return raw


def webhooks(config: Mapping[str, Any]) -> dict[str, list[WebhookTarget]]:
    """The webhooks of every staff audience; raises :class:`ConfigError`."""
    routes: dict[str, list[WebhookTarget]] = {audience: [] for audience in STAFF_AUDIENCES}
    for audience, entries in _json_object("WEBHOOKS", config["WEBHOOKS"]).items():
        if not isinstance(entries, list):
            raise ConfigError("WEBHOOKS", f"{audience!r} must be a list of webhooks")
        for entry in entries:
            if not isinstance(entry, Mapping) or set(entry) - {"url", "secret"}:
                raise ConfigError("WEBHOOKS", 'each webhook is {"url": ..., "secret": ...}')
            routes[audience].append(
                WebhookTarget(
                    _url("WEBHOOKS", entry.get("url")),
                    secret_key("WEBHOOKS", entry.get("secret")),
                )
            )
    legacy = [url.strip() for url in config["WEBHOOK_URLS"].split(",") if url.strip()]
    if legacy:
        key = secret_key("WEBHOOK_SECRET", config["WEBHOOK_SECRET"])
        routes["ops"].extend(WebhookTarget(_url("WEBHOOK_URLS", url), key) for url in legacy)
    return routes


def staff_emails(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """The addresses that get each staff audience's notifications by email."""
    routes: dict[str, list[str]] = {audience: [] for audience in STAFF_AUDIENCES}
    for audience, addresses in _json_object("NOTIFY_EMAILS", config["NOTIFY_EMAILS"]).items():
        if not isinstance(addresses, list) or not all(
            isinstance(address, str) and "@" in address for address in addresses
        ):
            raise ConfigError("NOTIFY_EMAILS", f"{audience!r} must be a list of email addresses")
        routes[audience] = list(addresses)
    return routes


def escalation_emails(config: Mapping[str, Any]) -> list[str]:
    """Who hears of an urgent referral no counsellor acknowledged in time."""
    addresses = [a.strip() for a in config["ESCALATION_EMAILS"].split(",") if a.strip()]
    if not all("@" in address for address in addresses):
        raise ConfigError("ESCALATION_EMAILS", "expected comma-separated email addresses")
    return addresses


def counsellors_reachable(config: Mapping[str, Any]) -> bool:
    """Whether an urgent referral is pushed to someone (a wellbeing email address or
    webhook); without one it waits in the counsellors' inbox until someone looks."""
    return bool(staff_emails(config).get("wellbeing") or webhooks(config).get("wellbeing"))


UNREACHABLE = (
    "no wellbeing address in WORKFORCE_NOTIFY_EMAILS and no wellbeing webhook in "
    "WORKFORCE_WEBHOOKS: urgent referrals reach counsellors only in their inbox"
)


def validate(config: Mapping[str, Any]) -> None:
    """Check every notification setting; warn once about the deprecated webhook list."""
    webhooks(config)
    staff_emails(config)
    escalation_emails(config)
    for minutes in ("URGENT_ACK_MINUTES", "URGENT_REPEAT_MINUTES"):
        if config[minutes] <= 0:
            raise ConfigError(minutes, "must be above 0")
    smtp = urlsplit(config["SMTP_URL"])
    if config["SMTP_URL"] and (smtp.scheme not in ("smtp", "smtps") or not smtp.hostname):
        raise ConfigError("SMTP_URL", "expected smtp://user:pass@host:587 or smtps://host:465")
    if config["DELIVERY_MAX_ATTEMPTS"] < 1:
        raise ConfigError("DELIVERY_MAX_ATTEMPTS", "must be at least 1")
    if config["WEBHOOK_URLS"].strip():
        print(
            "WORKFORCE_WEBHOOK_URLS is deprecated: it posts to the ops audience; use "
            'WORKFORCE_WEBHOOKS=\'{"ops": [{"url": ..., "secret": ...}]}\'',
            file=sys.stderr,
        )
