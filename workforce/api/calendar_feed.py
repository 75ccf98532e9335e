"""``GET /calendar/<secret>.ics``: the calendar feed phone calendars subscribe to.

A plain Flask blueprint outside ``/api/v1`` and the OpenAPI document: calendar apps send no
bearer token, so the secret in the address is the key (see
:mod:`workforce.scheduling.feed`). An unknown or rotated secret is a problem+json 404.
"""

from __future__ import annotations

from flask import Blueprint, Response

from workforce import db
from workforce.http import download, file_name
from workforce.scheduling.feed import render_feed

blp = Blueprint("calendar_feed", __name__)


@blp.get("/calendar/<secret>.ics")
def calendar(secret: str) -> Response:
    body = render_feed(db.session(), secret, db.utcnow())
    # the feed names the contractor's working hours: never keep it in a shared cache
    return download(
        body,
        "text/calendar; charset=utf-8",
        file_name("shifts", ext="ics"),
        {"Cache-Control": "no-store"},
    )
