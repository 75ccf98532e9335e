"""The contractor portal: server-rendered pages under ``/portal`` in the contractor's language.

``web`` holds the blueprint and its machinery (sessions, CSRF, language, the request's
transaction around every route, the HTML error page, the ``page`` decorator); ``signin``,
``pages``, ``work`` and ``checkins`` the views (invites, accounts and sessions themselves
are ``identity.accounts``); templates and a small stylesheet sit beside them. Nothing here
is part of the JSON API or its OpenAPI document (ops create invites through
``api/portal.py``).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the portal: blueprint, cookie session settings, translations in templates."""
    from workforce.portal import checkins, leave, pages, signin, work  # noqa: F401 - registers views
    from workforce.portal.web import (
        PortalSessionInterface,
        bp,
        install_template_helpers,
        portal_headers,
    )

    app.config.update(
        SESSION_COOKIE_NAME="workforce_portal",
        SESSION_COOKIE_PATH="/portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=app.config["PORTAL_SESSION_HOURS"]),
    )
    app.session_interface = PortalSessionInterface()
    install_template_helpers(app)
    app.register_blueprint(bp)
    app.after_request(portal_headers)
