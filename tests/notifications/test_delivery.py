"""Outbox delivery: HMAC-signed posts to a real local server, retries with backoff, a log."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from tests.webhook_server import webhook_receiver
from workforce import db
from workforce.notifications.delivery import backoff, sign
from workforce.notifications.models import Notification, WebhookDelivery
from workforce.notifications.services import notify_once
from workforce.scheduling.jobs import all_jobs
from workforce.scheduling.runner import run_job


def delivery_job(app):
    return next(job for job in all_jobs(app.config) if job.id == "deliver-notifications")


def queue_notice(app, key: str = "n1", contractor_id: int | None = None) -> None:
    with db.transaction(app) as session:
        notify_once(
            session,
            kind="credential.expiring",
            audience="ops",
            dedupe_key=key,
            payload={"credential_id": 1},
            contractor_id=contractor_id,
        )


def test_notifications_are_posted_signed_and_logged(app) -> None:
    with webhook_receiver() as hook:
        app.config.update(WEBHOOK_URLS=hook.url, WEBHOOK_SECRET="s3cret")
        queue_notice(app)
        result = run_job(app, delivery_job(app))
        assert result.effects == {"delivered": 1, "failed": 0}
        assert len(hook.calls) == 1
        headers, body = hook.calls[0]
        assert headers["X-Workforce-Signature"] == sign(
            "s3cret", headers["X-Workforce-Timestamp"], body
        )
        assert json.loads(body)["kind"] == "credential.expiring"
        # delivered once: a second run posts nothing
        assert run_job(app, delivery_job(app)).effects == {"delivered": 0, "failed": 0}
        assert len(hook.calls) == 1


def test_failures_are_retried_with_backoff(app) -> None:
    with webhook_receiver() as hook:
        hook.script = [500, 503]
        app.config.update(WEBHOOK_URLS=hook.url, WEBHOOK_SECRET="k")
        queue_notice(app)
        start = db.utcnow()
        assert run_job(app, delivery_job(app), now=start).effects["failed"] == 1
        # not due again before the backoff has passed
        soon = start + dt.timedelta(seconds=5)
        assert run_job(app, delivery_job(app), now=soon).effects == {"delivered": 0, "failed": 0}
        second = start + backoff(1)
        assert run_job(app, delivery_job(app), now=second).effects["failed"] == 1
        third = second + backoff(2)
        assert run_job(app, delivery_job(app), now=third).effects["delivered"] == 1
        assert len(hook.calls) == 3
    with db.get_db(app).reader() as session:
        log = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        assert [(d.status_code, d.succeeded) for d in log] == [
            (500, False),
            (503, False),
            (200, True),
        ]
        notice = session.scalars(select(Notification)).one()
        assert notice.attempts == 3
        assert notice.delivered_at is not None


def test_an_unreachable_webhook_is_logged_not_fatal(app) -> None:
    app.config.update(WEBHOOK_URLS="http://127.0.0.1:9/nothing-listens", WEBHOOK_SECRET="k")
    queue_notice(app)
    assert run_job(app, delivery_job(app)).effects == {"delivered": 0, "failed": 1}
    with db.get_db(app).reader() as session:
        assert session.scalars(select(WebhookDelivery.error)).one()


def test_contractors_read_only_their_own_notifications(app, client, as_role, new_contractor):
    mine, theirs = new_contractor(), new_contractor()
    headers = as_role("contractor", mine)  # its own notice comes first: account.token_created
    with db.transaction(app) as session:
        for cid, key in ((mine, "a"), (theirs, "b")):
            notify_once(
                session,
                kind="rotation.started",
                audience="contractor",
                dedupe_key=key,
                payload={"x": 1},
                contractor_id=cid,
            )
        other_id = session.scalar(select(Notification.id).where(Notification.dedupe_key == "b"))
    listed = client.get("/api/v1/me/notifications?unread=true", headers=headers).json
    assert [n["kind"] for n in listed["items"]] == ["rotation.started", "account.token_created"]
    own_id = listed["items"][0]["id"]
    assert client.post(f"/api/v1/me/notifications/{own_id}/read", headers=headers).json["read_at"]
    assert client.get("/api/v1/me/notifications?unread=true", headers=headers).json["total"] == 1
    assert (
        client.post(f"/api/v1/me/notifications/{other_id}/read", headers=headers).status_code == 404
    )
