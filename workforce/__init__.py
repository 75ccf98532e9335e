"""Workforce: keeps content-moderation contractors safe and fairly paid."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """The one app factory. ``overrides`` beat ``WORKFORCE_*`` variables, which beat defaults."""
    from workforce import api, audit, cli, db, errors, http, models, portal, redact
    from workforce.config import ConfigError, load_config, require_secret_key
    from workforce.contractors import contacts
    from workforce.extensions import Api
    from workforce.identity import receivers as identity_receivers
    from workforce.notifications import routing
    from workforce.scheduling import receivers as scheduling_receivers

    app = Flask(__name__, instance_relative_config=True)
    try:
        app.config.update(load_config(overrides=overrides))
        # First of all: without a secret key sessions and calendar URLs could be forged.
        require_secret_key(app.config)
        routing.validate(app.config)
        audit.chain_key(app.config)
        _check_settings(app.config)
    except ConfigError as error:
        # One line naming the variable and exit status 1, for gunicorn, flask and scripts.
        print(f"configuration error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    app.config.update(
        API_TITLE="Workforce",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        # /api/v1/docs is ours (workforce/api/docs.py): Swagger UI from a pinned package.
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "info": {"description": "Credentials, shifts, exposure, rotations, pay."},
        },
        JSON_SORT_KEYS=False,
    )
    models.load_all()
    # Cross-domain reactions (workforce.signals) and the email channel's contact lookup:
    # connected by importing them, once.
    del contacts, identity_receivers, scheduling_receivers
    # Without an SMTP server, email goes to a file mailbox in the instance folder.
    app.config["MAIL_DIR"] = app.config["MAIL_DIR"] or os.path.join(app.instance_path, "mail")
    db.init_app(app, audit_key=audit.chain_key(app.config))
    if not app.config["AUDIT_CHECKPOINT_FILE"]:
        app.config["AUDIT_CHECKPOINT_FILE"] = f"{app.instance_path}/audit-checkpoints.jsonl"
    # Order matters: smorest registers its own HTTPException handler in init_app;
    # ours must be registered after it so every error is problem+json.
    # The plugin adds roles, problem codes and examples to every operation (api/openapi.py).
    smorest = Api(app, spec_kwargs={"extra_plugins": [api.openapi.DocumentationPlugin(app)]})
    api.register(smorest)
    api.register_plain(app)
    errors.register_error_handlers(app)
    http.init_app(app)
    redact.init_app(app)
    portal.init_app(app)
    cli.register(app)
    return app


def _check_settings(config: Mapping[str, Any]) -> None:
    """Settings whose own checks raise ``ValueError``, as a :class:`ConfigError` naming the
    variable, so that they too stop the service with one line instead of a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from workforce import db
    from workforce.config import ConfigError
    from workforce.scheduling.hour_limits import validate_limit_settings

    if not 0 <= config["PAY_DATE_BUSINESS_DAYS"] <= 60:
        raise ConfigError("PAY_DATE_BUSINESS_DAYS", "expected a whole number from 0 to 60")
    try:
        validate_limit_settings(config["SHIFT_LIMITS"])
    except ValueError as error:
        raise ConfigError("SHIFT_LIMITS", str(error)) from None
    if config["DATABASE_URL"]:
        expected = "expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME"
        try:
            url = make_url(db.normalize_url(config["DATABASE_URL"]))
        except ArgumentError:
            raise ConfigError("DATABASE_URL", f"not a database URL; {expected}") from None
        if (url.get_backend_name(), url.get_driver_name()) not in SUPPORTED_DATABASES:
            raise ConfigError(
                "DATABASE_URL", f"{url.drivername} is not supported; {expected}"
            ) from None


#: (backend, driver) pairs the service runs on; ``postgres://`` is read as psycopg 3's.
SUPPORTED_DATABASES = {("sqlite", "pysqlite"), ("postgresql", "psycopg")}
