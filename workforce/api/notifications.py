"""A contractor's notifications: ``GET /me/notifications``, ``POST .../{id}/read``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import auth, db
from workforce.api.common import PageArgs, page_schema, paginate
from workforce.auth import roles
from workforce.extensions import Blueprint
from workforce.notifications import services
from workforce.notifications.models import Notification

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications")


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    payload = ma.fields.Dict()
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class NotificationListArgs(PageArgs):
    unread = ma.fields.Boolean(load_default=False)


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @roles("contractor")
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, page_schema(NotificationSchema, "NotificationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My notifications, newest first (``?unread=true`` for the new ones)."""
        stmt = services.contractor_notifications(auth.me(), unread=args["unread"])
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/me/notifications/<int:notification_id>/read")
class MyNotificationRead(MethodView):
    @roles("contractor")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int) -> Notification:
        """Mark one of my notifications read."""
        return services.mark_read(db.session(), auth.me(), notification_id)
