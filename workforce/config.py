"""Configuration: defaults in code, overridden by ``WORKFORCE_*`` environment variables.

``WORKFORCE_DATABASE_URL=postgresql+psycopg://...`` sets ``DATABASE_URL``; values are
coerced to the type of the default, so ``WORKFORCE_SWEEP_INTERVAL_SECONDS=30`` is an int.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "WORKFORCE_"

DEFAULTS: dict[str, Any] = {
    #: SQLAlchemy URL; empty means a SQLite file in the instance folder.
    "DATABASE_URL": "",
    #: A PostgreSQL streaming standby of DATABASE_URL that reports, exports and the exposure
    #: view read while its replay lag is at most REPLICA_MAX_LAG_SECONDS (else they read the
    #: primary); empty: everything reads the primary. Refused with a SQLite primary.
    #: docs/operations.md, "A read replica".
    "REPLICA_DATABASE_URL": "",
    "REPLICA_MAX_LAG_SECONDS": 30.0,
    #: How long SQLite waits for a writer before giving up (ms), per attempt of a request
    #: (3 attempts, workforce.db.REQUEST_ATTEMPTS): 15 s in all, well inside gunicorn's
    #: 30 s worker timeout (workforce/gunicorn_conf.py), so a client gets its 503 ``database_busy``.
    #: Also how long ``POST /rotations/sweep`` waits for a sweep in progress.
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    #: Signs portal session cookies and calendar secrets. No default: a known key lets
    #: anyone forge a session, so the service refuses to start without one (see
    #: ``require_secret_key``; ``make run`` keeps a random one in instance/secret_key).
    "SECRET_KEY": "",
    #: Key of the audit chain's HMAC (at least 32 characters); empty: derived from
    #: SECRET_KEY. Never stored in the database; keep it stable (docs/operations.md).
    "AUDIT_KEY": "",
    #: Signed audit checkpoints are also appended here (JSON lines), outside the database,
    #: so a database restored without its tail is caught; empty: the instance folder.
    "AUDIT_CHECKPOINT_FILE": "",
    #: Largest request body accepted (bytes): a 5,000-event batch is about 1.5 MB.
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    #: Default lifetime of a token created through the API or the CLI (days).
    "TOKEN_TTL_DAYS": 365,
    #: Largest page a list endpoint returns (docs/architecture.md, "Conventions": at most 500).
    "PAGE_SIZE_MAX": 500,
    #: Public base URL used to build links (calendar feeds, invites).
    "BASE_URL": "http://127.0.0.1:8000",
    #: Where the scheduler's file lock lives on SQLite (empty: the instance folder).
    "LOCK_DIR": "",
    #: Rotation sweep cadence; the breach-to-rotation target is one interval + 10 s.
    "SWEEP_INTERVAL_SECONDS": 60,
    #: How often each scheduler process records that it is alive; readiness
    #: (``GET /health/ready``) reports a scheduler silent for three of these.
    "SCHEDULER_HEARTBEAT_SECONDS": 30,
    #: UTC hours (APScheduler cron syntax: "1", "1,13", "*/6") at which planned rotations
    #: are made; daily by default, and idempotent, so more often only makes them sooner.
    "PLANNED_ROTATION_HOURS": "1",
    #: Failed token authentications allowed per client address, and per failed token,
    #: within a minute of the first before 429 (a valid token is never refused).
    "AUTH_FAILURES_PER_MINUTE": 30,
    #: Where failures are counted for those limits (``redis://host:6379/0``); empty: in
    #: the database. Either way every worker and host shares the counts.
    "REDIS_URL": "",
    #: How often the outbox is sent (webhooks, email).
    "DELIVERY_INTERVAL_SECONDS": 30,
    #: Failed attempts after which a delivery is dead (GET /notifications/deliveries?status=dead).
    "DELIVERY_MAX_ATTEMPTS": 10,
    #: Bounds of one webhook post or SMTP session, so a hanging receiver cannot stall a run.
    "DELIVERY_CONNECT_TIMEOUT_SECONDS": 5,
    "DELIVERY_READ_TIMEOUT_SECONDS": 10,
    #: Webhooks per staff audience (JSON): {"ops": [{"url": ..., "secret": ...}], ...};
    #: a secret is a Standard Webhooks ``whsec_`` base64 key or raw text, >= 32 bytes.
    "WEBHOOKS": "",
    #: Email: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (TLS);
    #: empty writes each message to MAIL_DIR instead (default: the instance's mail/ folder).
    "SMTP_URL": "",
    #: A CA bundle that signs the SMTP server's certificate (empty: the system's CAs).
    "SMTP_CA_FILE": "",
    "MAIL_FROM": "Workforce <workforce@localhost>",
    "MAIL_DIR": "",
    #: Email addresses per staff audience (JSON): {"ops": [...], "wellbeing": [...], ...}.
    "NOTIFY_EMAILS": "",
    #: An urgent referral not acknowledged this many minutes after it opened is emailed to
    #: ESCALATION_EMAILS (comma-separated), and again every URGENT_REPEAT_MINUTES until a
    #: counsellor acknowledges it; the job looks every URGENT_CHECK_SECONDS.
    "URGENT_ACK_MINUTES": 15.0,
    "URGENT_REPEAT_MINUTES": 15.0,
    "URGENT_CHECK_SECONDS": 30,
    "ESCALATION_EMAILS": "",
    #: Deprecated: comma-separated URLs for the ops audience, signed with WEBHOOK_SECRET.
    "WEBHOOK_URLS": "",
    "WEBHOOK_SECRET": "",
    #: Working-time limits per country over the built-in ones (JSON in the environment),
    #: e.g. {"default": {"weekly_hours": 45}, "FR": {"max_shift_hours": 10}}; see
    #: workforce/scheduling/limits.py.
    "SHIFT_LIMITS": {},
    #: Shift offers (docs/offers.md): true approves a swap or drop as soon as it is
    #: accepted and every rule holds for the taker; false (default) waits for ops.
    "SHIFT_OFFERS_AUTO_APPROVE": False,
    #: Days a check-in's answers are kept; then a job deletes them and keeps the score.
    "CHECKIN_RETENTION_DAYS": 365,
    #: Days raw exposure events are kept (the roll-ups keep their totals); 0 keeps them.
    "EXPOSURE_EVENT_RETENTION_DAYS": 90,
    #: Days the scheduler's job runs are kept (each job's latest run, success and failure
    #: stay for the status page).
    "JOB_RUN_RETENTION_DAYS": 90,
    #: The retention job deletes at most BATCH_SIZE x MAX_BATCHES events per run.
    "EXPOSURE_EVENT_RETENTION_BATCH_SIZE": 10000,
    "EXPOSURE_EVENT_RETENTION_MAX_BATCHES": 50,
    #: How often the retention job runs.
    "EXPOSURE_EVENT_RETENTION_INTERVAL_SECONDS": 300,
    #: PostgreSQL: monthly partitions of exposure_events kept created ahead of this month.
    "EXPOSURE_PARTITION_MONTHS_AHEAD": 2,
    #: PCL-5 total at or above which PTSD is probable; the literature's range is 31-33.
    "PCL5_CUTOFF": 33,
    #: Portal session cookie: always ``Secure`` when true (set it behind a TLS proxy);
    #: otherwise ``Secure`` only on requests that arrive over HTTPS.
    "SESSION_COOKIE_SECURE": False,
    #: Portal: days an invite link works; hours a sign-in lasts at most.
    "PORTAL_INVITE_DAYS": 7,
    "PORTAL_SESSION_HOURS": 168,
    #: Portal sign-in: failures allowed per client address and per email within the window.
    "PORTAL_SIGNIN_FAILURES_PER_CLIENT": 20,
    "PORTAL_SIGNIN_FAILURES_PER_EMAIL": 5,
    "PORTAL_SIGNIN_WINDOW_SECONDS": 900,
    #: Pay slips (docs/pay.md, "The PDF slip"): the employer named on every slip (empty: no
    #: employer line), the pay date as this many business days after the period's last day
    #: (or after finalization, when later), and where the Noto fonts are (Debian's
    #: fonts-noto-core installs them there).
    "EMPLOYER_NAME": "",
    "PAY_DATE_BUSINESS_DAYS": 5,
    "FONT_DIR": "/usr/share/fonts/truetype/noto",
    #: Report groups of fewer contractors than this are suppressed (never below 5).
    "REPORT_MIN_GROUP": 10,
}


#: The shortest ``WORKFORCE_SECRET_KEY`` accepted: 32 characters of a random string
#: (``secrets.token_urlsafe(32)`` gives 43) carry at least 128 bits.
SECRET_KEY_MIN_LENGTH = 32


class ConfigError(ValueError):
    """A setting that stops the service at start; ``str()`` is one line naming it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{ENV_PREFIX}{variable}: {problem}")


def require_secret_key(config: Mapping[str, Any]) -> None:
    """Refuse to start without a long enough ``WORKFORCE_SECRET_KEY``: a known key lets
    anyone forge a portal session or recompute a calendar URL."""
    key = str(config.get("SECRET_KEY") or "")
    if len(key) < SECRET_KEY_MIN_LENGTH:
        problem = "is not set" if not key else f"is shorter than {SECRET_KEY_MIN_LENGTH} characters"
        raise ConfigError(
            "SECRET_KEY",
            f"{problem}; set it to a random string of at least {SECRET_KEY_MIN_LENGTH} "
            'characters (python3 -c "import secrets; print(secrets.token_urlsafe(32))")',
        )


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            # a typo such as "ture" must not quietly mean False (e.g. SESSION_COOKIE_SECURE)
            raise ValueError(f"expected true or false, got {raw!r}")
        return word in _TRUE
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if isinstance(default, dict):
        if not raw.strip():
            return dict(default)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON ({error.msg} at character {error.pos + 1})") from None
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {raw!r}")
        return value
    return raw


def load_config(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Defaults, then the environment, then explicit overrides (tests, embedding)."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = environ.get(ENV_PREFIX + key)
        if raw is not None:
            try:
                config[key] = _coerce(raw, default)
            except ValueError as error:
                raise ConfigError(key, str(error)) from None
    config.update(overrides or {})
    check_replica(config)
    return config


#: What a replica URL may look like (``postgres://`` and ``postgresql://`` mean psycopg 3).
_POSTGRESQL_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://")


def check_replica(config: Mapping[str, Any]) -> None:
    """``REPLICA_DATABASE_URL`` must be a PostgreSQL URL next to a PostgreSQL primary (a
    SQLite file has no replica: refused rather than ignored, so nobody believes reports
    leave a primary they never leave), and the lag limit a number of seconds >= 0."""
    lag = config.get("REPLICA_MAX_LAG_SECONDS")
    if isinstance(lag, bool) or not isinstance(lag, int | float) or not lag >= 0:
        raise ConfigError("REPLICA_MAX_LAG_SECONDS", f"expected seconds >= 0, got {lag!r}")
    url = str(config.get("REPLICA_DATABASE_URL") or "")
    if not url:
        return
    expected = "expected postgresql://USER:PASSWORD@HOST:PORT/NAME"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("REPLICA_DATABASE_URL", f"not a database URL; {expected}") from None
    if not url.startswith(_POSTGRESQL_SCHEMES) or not parsed.host or not parsed.database:
        raise ConfigError(
            "REPLICA_DATABASE_URL", f"a replica must be a PostgreSQL database; {expected}"
        )
    primary = str(config.get("DATABASE_URL") or "")
    if not primary.startswith(_POSTGRESQL_SCHEMES):
        raise ConfigError(
            "REPLICA_DATABASE_URL",
            "a replica needs a PostgreSQL primary (WORKFORCE_DATABASE_URL); SQLite has none: "
            "unset it",
        )
