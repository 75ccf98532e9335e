"""Notifications: a contractor's own (``/me/notifications``), the staff inbox of each
audience (``/notifications``) and the deliveries to webhooks and email
(``/notifications/deliveries``, with a retry for dead ones)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import InputSchema, LocaleArgs, PageArgs, page_schema, paginate
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import roles
from workforce.notifications import preferences, services
from workforce.notifications.models import DELIVERY_STATUSES, Delivery, Notification

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications")


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    payload = ma.fields.Method("visible_payload", metadata={"type": "object"})
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)

    def visible_payload(self, notification: Notification) -> dict[str, Any]:
        # An invite or reset link goes to the contractor's mailbox only, never an API answer.
        return services.visible_payload(notification)


class StaffNotificationSchema(NotificationSchema):
    audience = ma.fields.String()
    contractor_id = ma.fields.Integer(allow_none=True)


class NotificationListArgs(PageArgs):
    unread = ma.fields.Boolean(load_default=False)


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    notification_id = ma.fields.Integer()
    kind = ma.fields.String(attribute="notification.kind")
    audience = ma.fields.String(attribute="notification.audience")
    channel = ma.fields.String()
    target = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime()
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    delivered_at = ma.fields.DateTime(allow_none=True)


class PreferenceKindSchema(ma.Schema):
    kind = ma.fields.String()
    email = ma.fields.Boolean()
    required = ma.fields.Boolean()


class PreferencesSchema(ma.Schema):
    muted = ma.fields.List(ma.fields.String())
    kinds = ma.fields.List(ma.fields.Nested(PreferenceKindSchema))


class PreferencesInput(InputSchema):
    muted = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=60)), required=True)


class DeliveryListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(DELIVERY_STATUSES))


class MyNotificationArgs(NotificationListArgs, LocaleArgs):
    """NotificationListArgs and ``?locale=``."""


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @roles("contractor")
    @blp.arguments(MyNotificationArgs, location="query")
    @blp.response(200, page_schema(NotificationSchema, "NotificationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My notifications, newest first (``?unread=true`` for the new ones)."""
        stmt = services.contractor_notifications(access.me(), unread=args["unread"])
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/me/notifications/<int:notification_id>/read")
class MyNotificationRead(MethodView):
    @roles("contractor")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int) -> Notification:
        """Mark one of my notifications read."""
        return services.mark_read(db.session(), access.me(), notification_id)


@blp.route("/me/notification-preferences")
class MyNotificationPreferences(MethodView):
    @roles("contractor")
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, PreferencesSchema)
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """Which notices I get by email; ``required`` ones cannot be turned off."""
        return preferences.preferences(db.session(), access.me())

    @roles("contractor")
    @blp.arguments(PreferencesInput)
    @blp.response(200, PreferencesSchema)
    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn off email for these kinds (the rest are on); a safety-critical kind is 422."""
        return preferences.set_muted(db.session(), access.me(), data["muted"])


STAFF = ("admin", "ops", "compliance", "wellbeing")


@blp.route("/notifications")
class StaffNotifications(MethodView):
    @roles(*STAFF)
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, page_schema(StaffNotificationSchema, "StaffNotificationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My audience's inbox, newest first: ops, compliance or wellbeing; admin reads
        ops and compliance (never wellbeing)."""
        stmt = services.staff_notifications(access.principal().role, unread=args["unread"])
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/notifications/<int:notification_id>/read")
class StaffNotificationRead(MethodView):
    @roles(*STAFF)
    @blp.response(200, StaffNotificationSchema)
    def post(self, notification_id: int) -> Notification:
        """Mark a notification of my audience's inbox read (for the whole audience)."""
        return services.mark_read_by_staff(db.session(), access.principal().role, notification_id)


@blp.route("/notifications/deliveries")
class Deliveries(MethodView):
    @roles(*STAFF)
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, page_schema(DeliverySchema, "DeliveryPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Deliveries of my audience's notifications to webhooks and email, newest first
        (``?status=dead`` for those that gave up)."""
        stmt = services.deliveries_query(access.principal().role, args.get("status"))
        return paginate(db.session(), stmt, args["page"], args["page_size"])


@blp.route("/notifications/deliveries/<int:delivery_id>/retry")
class DeliveryRetry(MethodView):
    @roles(*STAFF)
    @blp.response(200, DeliverySchema)
    def post(self, delivery_id: int) -> Delivery:
        """Send a delivery again with a fresh set of attempts, at the next delivery run."""
        return services.retry_delivery(db.session(), access.principal().role, delivery_id)
