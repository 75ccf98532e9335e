"""Outbox delivery: leases, sending with no transaction open, Standard Webhooks signatures
checked with the specification's own library, routing per audience, retries with backoff,
dead letters and their retry, against real local HTTP servers."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from tests.webhook_server import webhook_receiver
from workforce import db
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.delivery import (
    FIRST_BACKOFF,
    MAX_BACKOFF,
    backoff,
    claim,
    route,
)
from workforce.notifications.models import Delivery, Notification
from workforce.notifications.services import notify_once

RAW_SECRET = "r" * 32
WHSEC = "whsec_" + base64.b64encode(b"k" * 32).decode()


def delivery_job(app):
    return next(job for job in all_jobs(app.config) if job.id == "deliver-notifications")


def hooks(**audiences: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            name: [{"url": url, "secret": secret} for url, secret in entries]
            for name, entries in audiences.items()
        }
    )


def queue_notice(
    app, key: str = "n1", audience: str = "ops", contractor_id: int | None = None, **payload
) -> None:
    with db.transaction(app) as session:
        notify_once(
            session,
            kind="credential.expiring",
            audience=audience,
            dedupe_key=key,
            payload=payload or {"credential_id": 1},
            contractor_id=contractor_id,
        )


def deliveries(app) -> list[Delivery]:
    with db.get_db(app).reader() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_posts_are_signed_per_standard_webhooks_and_sent_once(app) -> None:
    with webhook_receiver() as raw_hook, webhook_receiver() as whsec_hook:
        app.config.update(WEBHOOKS=hooks(ops=[(raw_hook.url, RAW_SECRET), (whsec_hook.url, WHSEC)]))
        queue_notice(app)
        result = run_job(app, delivery_job(app))
        assert result.effects == {"routed": 2, "delivered": 2, "failed": 0, "dead": 0}
        for hook, verifier in (
            (raw_hook, Webhook(RAW_SECRET.encode())),
            (whsec_hook, Webhook(WHSEC)),
        ):
            [(headers, body)] = hook.calls
            event = verifier.verify(body, headers)
            assert event["type"] == "credential.expiring"
            assert event["data"]["credential_id"] == 1
        # one message id for both receivers and every retry: receivers de-duplicate by it
        assert raw_hook.calls[0][0]["webhook-id"] == whsec_hook.calls[0][0]["webhook-id"]
        assert run_job(app, delivery_job(app)).effects["delivered"] == 0
        assert len(raw_hook.calls) == len(whsec_hook.calls) == 1


def test_each_audience_reaches_only_its_own_webhooks(app, new_contractor) -> None:
    contractor = new_contractor()
    with webhook_receiver() as ops, webhook_receiver() as wellbeing, webhook_receiver() as legacy:
        app.config.update(
            WEBHOOKS=hooks(ops=[(ops.url, RAW_SECRET)], wellbeing=[(wellbeing.url, RAW_SECRET)]),
            WEBHOOK_URLS=legacy.url,
            WEBHOOK_SECRET=RAW_SECRET,
        )
        queue_notice(app, "urgent", "wellbeing", contractor, referral_id=1, urgent=True)
        queue_notice(app, "invite", "contractor", contractor, url="http://x/portal/invite/SECRET")
        queue_notice(app, "ops", "ops")
        run_job(app, delivery_job(app))
        kinds = {
            name: [json.loads(body)["data"]["audience"] for _h, body in hook.calls]
            for name, hook in (("ops", ops), ("wellbeing", wellbeing), ("legacy", legacy))
        }
    # an urgent referral never reaches an operations channel, nor a secret link any webhook
    assert kinds == {"ops": ["ops"], "wellbeing": ["wellbeing"], "legacy": ["ops"]}


def test_failures_back_off_then_go_dead_and_a_retry_sends_again(app, client, admin) -> None:
    with webhook_receiver() as hook:
        hook.script = [500, 503, 500]
        app.config.update(WEBHOOKS=hooks(ops=[(hook.url, RAW_SECRET)]), DELIVERY_MAX_ATTEMPTS=3)
        queue_notice(app)
        at = db.utcnow()
        assert run_job(app, delivery_job(app), now=at).effects["failed"] == 1
        # not due again before the backoff has passed (at least half the exponential step)
        early = at + FIRST_BACKOFF / 2 - dt.timedelta(seconds=1)
        assert run_job(app, delivery_job(app), now=early).effects["failed"] == 0
        at += backoff(1) + FIRST_BACKOFF
        assert run_job(app, delivery_job(app), now=at).effects["failed"] == 1
        at += 2 * FIRST_BACKOFF
        assert run_job(app, delivery_job(app), now=at).effects["dead"] == 1
        assert run_job(app, delivery_job(app), now=at + MAX_BACKOFF).effects["dead"] == 0
        assert len(hook.calls) == 3

        dead = client.get("/api/v1/notifications/deliveries?status=dead", headers=admin).json
        [item] = dead["items"]
        assert (item["kind"], item["attempts"], item["last_status_code"]) == (
            "credential.expiring",
            3,
            500,
        )
        retried = client.post(f"/api/v1/notifications/deliveries/{item['id']}/retry", headers=admin)
        assert retried.status_code == 200, retried.json
        assert run_job(app, delivery_job(app)).effects["delivered"] == 1
        assert len(hook.calls) == 4
    assert [d.status for d in deliveries(app)] == ["delivered"]


def test_an_unreachable_webhook_is_recorded_not_fatal(app) -> None:
    app.config.update(WEBHOOKS=hooks(ops=[("http://127.0.0.1:9/nothing-listens", RAW_SECRET)]))
    queue_notice(app)
    assert run_job(app, delivery_job(app)).effects["failed"] == 1
    [delivery] = deliveries(app)
    assert delivery.last_error and delivery.attempts == 1 and delivery.claimed_by is None


def test_a_lease_left_by_a_dead_sender_is_taken_over_once_it_expires(app) -> None:
    with webhook_receiver() as hook:
        app.config.update(WEBHOOKS=hooks(ops=[(hook.url, RAW_SECRET)]))
        queue_notice(app)
        now = db.utcnow()
        with db.transaction(app) as session:  # a run that leases, then dies before sending
            route(session, app.config, now)
            assert len(claim(session, app.config, now, uuid.uuid4().hex)) == 1
        assert run_job(app, delivery_job(app), now=now).effects["delivered"] == 0
        [leased] = deliveries(app)
        assert leased.lease_until is not None
        after = leased.lease_until + dt.timedelta(seconds=1)
        assert run_job(app, delivery_job(app), now=after).effects["delivered"] == 1
        assert len(hook.calls) == 1


def test_a_hanging_webhook_does_not_hold_the_database(app, client, admin, new_contractor) -> None:
    contractor = new_contractor()
    with webhook_receiver() as hook:
        hook.hang = True
        app.config.update(
            WEBHOOKS=hooks(ops=[(hook.url, RAW_SECRET)]), DELIVERY_READ_TIMEOUT_SECONDS=8
        )
        queue_notice(app)
        run = threading.Thread(target=run_job, args=(app, delivery_job(app)))
        run.start()
        try:
            deadline = time.monotonic() + 10
            while not hook.calls and time.monotonic() < deadline:
                time.sleep(0.02)
            assert hook.calls, "the delivery run never reached the listener"
            started = time.perf_counter()
            answer = client.patch(
                f"/api/v1/contractors/{contractor}",
                json={"full_name": "Renamed"},
                headers=admin,
            )
            took = time.perf_counter() - started
            assert answer.status_code == 200, answer.json
            assert took < 1.0, f"a write waited {took:.1f}s behind a hanging webhook"
            assert run.is_alive(), "the run should still be waiting on the listener"
        finally:
            hook.released.set()
            run.join(timeout=20)


def test_a_webhook_that_trickles_its_answer_is_cut_at_the_send_budget(app) -> None:
    """A byte every 0.2 s never trips the 1 s read timeout; the send still ends at its
    budget (connect + read timeouts, what the run's lease is sized by), recorded as a
    failure to retry, so the lease cannot expire under a send and another run double it."""
    with webhook_receiver() as hook:
        hook.trickle = 0.2
        app.config.update(
            WEBHOOKS=hooks(ops=[(hook.url, RAW_SECRET)]),
            DELIVERY_CONNECT_TIMEOUT_SECONDS=1,
            DELIVERY_READ_TIMEOUT_SECONDS=1,
        )
        queue_notice(app)
        started = time.monotonic()
        run = run_job(app, delivery_job(app))
        took = time.monotonic() - started
    assert run.effects["delivered"] == 0 and run.effects["failed"] == 1, run.effects
    assert took < 4, f"the send took {took:.1f}s against a 2 s budget"
    with db.get_db(app).reader() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert delivery.last_error == "no complete answer within 2 s"


@given(st.integers(min_value=1, max_value=10_000), st.randoms(use_true_random=False))
def test_backoff_grows_exponentially_within_its_jitter(attempts: int, rng) -> None:
    # exact integers: any attempt count, however large
    first, cap = int(FIRST_BACKOFF.total_seconds()), int(MAX_BACKOFF.total_seconds())
    step = min(first * 2 ** (attempts - 1), cap)
    wait = backoff(attempts, rng)
    assert step / 2 <= wait.total_seconds() <= step


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


def test_admin_sees_contractor_deliveries_but_not_check_in_reminders(
    app, client, admin, new_contractor
) -> None:
    """A bounced invite is admin's to fix; who was offered a wellbeing check-in is not
    admin's to know."""
    person = new_contractor()
    queue_notice(app, "renew", "contractor", person)
    with db.transaction(app) as session:
        notify_once(
            session,
            kind="checkin.reminder",
            audience="contractor",
            dedupe_key="reminder",
            payload={},
            contractor_id=person,
        )
    run_job(app, delivery_job(app))
    listed = client.get("/api/v1/notifications/deliveries", headers=admin).json["items"]
    assert [item["kind"] for item in listed] == ["credential.expiring"]
    assert len(deliveries(app)) == 2  # both were sent
