"""``GET /calendar/<secret>.ics``: the calendar feed phone calendars subscribe to.

A plain Flask blueprint outside ``/api/v1`` and the OpenAPI document: calendar apps send no
bearer token, so the secret in the address is the key (see
:mod:`workforce.scheduling.feed`). An unknown or rotated secret is a problem+json 404.
"""

from __future__ import annotations

from flask import Blueprint, Response

from workforce import db
from workforce.scheduling.feed import render_feed

blp = Blueprint("calendar_feed", __name__)


@blp.get("/calendar/<secret>.ics")
def calendar(secret: str) -> Response:
    body = render_feed(db.session(), secret, db.utcnow())
    return Response(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={
            # the feed names the contractor's working hours: never keep it in a shared cache
            "Cache-Control": "no-store",
            "Content-Disposition": 'inline; filename="shifts.ics"',
        },
    )
