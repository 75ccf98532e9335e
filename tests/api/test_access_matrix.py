"""The access-control matrix, generated from the app's URL map.

Every API route × method must have an entry below naming the roles that may call it; a new
route without one fails. Each route is then called as every role, with path ids that belong
to *another* contractor: a role not listed gets 403, a contractor token never reaches
another contractor's object (404), nothing answers 5xx, and no staff role outside
``wellbeing`` ever receives a wellbeing field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.factories import make_queue, make_token
from tests.pay.data import ke_distribution
from workforce import db
from workforce.contractors.credentials import submit_credential
from workforce.contractors.models import Contractor
from workforce.identity.access import ROLES
from workforce.notifications.models import Delivery, Notification
from workforce.notifications.services import notify_once
from workforce.pay.distributions import add_distribution
from workforce.pay.statement_lifecycle import create_statement
from workforce.reports.models import ReportRun
from workforce.rotations.services import start_rotation
from workforce.scheduling import time_off
from workforce.scheduling.offers import offer_shift
from workforce.scheduling.planning import create_pattern, create_shift
from workforce.wellbeing.checkins import record_check_in
from workforce.wellbeing.models import Referral

STAFF = "admin ops compliance wellbeing"
#: "METHOD path" -> roles allowed ("public": no token at all).
MATRIX: dict[str, str] = {
    "GET /api/v1/health": "public",
    "GET /api/v1/health/ready": "public",
    "GET /api/v1/me": " ".join(ROLES),
    "GET /api/v1/tokens": "admin",
    "POST /api/v1/tokens": "admin",
    "DELETE /api/v1/tokens/<token_id>": "admin",
    "GET /api/v1/me/tokens": "contractor",
    "POST /api/v1/me/tokens": "contractor",
    "DELETE /api/v1/me/tokens/<token_id>": "contractor",
    "GET /api/v1/me/profile": "contractor",
    "PUT /api/v1/me/consent": "contractor",
    "PUT /api/v1/me/opt-outs": "contractor",
    "GET /api/v1/contractors": STAFF,
    "POST /api/v1/contractors": "admin ops",
    "POST /api/v1/contractors/import": "admin ops",
    "GET /api/v1/contractors/export": STAFF,
    "GET /api/v1/contractors/<contractor_id>": f"{STAFF} contractor",
    "PATCH /api/v1/contractors/<contractor_id>": "admin ops",
    "POST /api/v1/contractors/<contractor_id>/offboard": "admin ops",
    "GET /api/v1/contractors/<contractor_id>/credentials": "admin ops compliance contractor",
    "POST /api/v1/contractors/<contractor_id>/credentials": "admin ops",
    "GET /api/v1/credentials": "admin ops compliance",
    "GET /api/v1/credentials/<credential_id>": "admin ops compliance contractor",
    "PATCH /api/v1/credentials/<credential_id>": "admin ops",
    "POST /api/v1/credentials/<credential_id>/verify": "admin ops",
    "POST /api/v1/credentials/<credential_id>/reject": "admin ops",
    "POST /api/v1/credentials/<credential_id>/revoke": "admin ops",
    "GET /api/v1/me/credentials": "contractor",
    "POST /api/v1/me/credentials": "contractor",
    "GET /api/v1/queues": "admin ops compliance ingest",
    "POST /api/v1/queues": "admin ops",
    "GET /api/v1/queues/<queue_id>": "admin ops compliance ingest",
    "PATCH /api/v1/queues/<queue_id>": "admin ops",
    "GET /api/v1/contractors/<contractor_id>/eligibility": "admin ops ingest",
    "GET /api/v1/me/eligibility": "contractor",
    "GET /api/v1/me/notifications": "contractor",
    "POST /api/v1/me/notifications/<notification_id>/read": "contractor",
    "GET /api/v1/me/notification-preferences": "contractor",
    "PUT /api/v1/me/notification-preferences": "contractor",
    "POST /api/v1/referrals/<referral_id>/acknowledge": "wellbeing",
    "GET /api/v1/notifications": STAFF,
    "POST /api/v1/notifications/<notification_id>/read": STAFF,
    "GET /api/v1/notifications/deliveries": STAFF,
    "POST /api/v1/notifications/deliveries/<delivery_id>/retry": STAFF,
    "GET /api/v1/scheduler/status": "admin ops",
    "GET /api/v1/shifts": "admin ops compliance",
    "POST /api/v1/shifts": "admin ops",
    "GET /api/v1/shifts/<shift_id>": "admin ops compliance contractor",
    "PATCH /api/v1/shifts/<shift_id>": "admin ops",
    "POST /api/v1/shifts/<shift_id>/cancel": "admin ops",
    "POST /api/v1/shifts/<shift_id>/claim": "contractor",
    "POST /api/v1/shifts/<shift_id>/clock-in": "admin ops contractor",
    "POST /api/v1/shifts/<shift_id>/clock-out": "admin ops contractor",
    "POST /api/v1/shifts/<shift_id>/correct": "admin ops",
    "POST /api/v1/shift-patterns": "admin ops",
    "GET /api/v1/shift-patterns": "admin ops compliance",
    "GET /api/v1/shift-patterns/<pattern_id>": "admin ops compliance",
    "PATCH /api/v1/shift-patterns/<pattern_id>": "admin ops",
    "DELETE /api/v1/shift-patterns/<pattern_id>": "admin ops",
    "GET /api/v1/me/open-shifts": "contractor",
    "GET /api/v1/me/availability": "contractor",
    "PUT /api/v1/me/availability": "contractor",
    "GET /api/v1/contractors/<contractor_id>/availability": "admin ops compliance",
    "PUT /api/v1/contractors/<contractor_id>/availability": "admin ops",
    "GET /api/v1/me/time-off": "contractor",
    "POST /api/v1/me/time-off": "contractor",
    "POST /api/v1/me/time-off/<time_off_id>/cancel": "contractor",
    "GET /api/v1/time-off": "admin ops compliance",
    "POST /api/v1/time-off/<time_off_id>/approve": "admin ops",
    "POST /api/v1/time-off/<time_off_id>/reject": "admin ops",
    "POST /api/v1/me/shifts/<shift_id>/offer": "contractor",
    "GET /api/v1/me/shift-offers": "contractor",
    "POST /api/v1/me/shift-offers/<offer_id>/accept": "contractor",
    "POST /api/v1/me/shift-offers/<offer_id>/withdraw": "contractor",
    "GET /api/v1/shift-offers": "admin ops",
    "POST /api/v1/shift-offers/<offer_id>/approve": "admin ops",
    "POST /api/v1/shift-offers/<offer_id>/reject": "admin ops",
    "GET /api/v1/shifts/<shift_id>/cover-candidates": "admin ops",
    "POST /api/v1/shifts/<shift_id>/offer-to": "admin ops",
    "GET /api/v1/contractors/<contractor_id>/schedule": "admin ops compliance contractor",
    "GET /api/v1/me/schedule": "contractor",
    "GET /api/v1/me/calendar": "contractor",
    "POST /api/v1/me/calendar/rotate": "contractor",
    "POST /api/v1/exposure-events": "admin ops ingest",
    "GET /api/v1/contractors/<contractor_id>/exposure": "admin ops compliance",
    "GET /api/v1/me/exposure": "contractor",
    "GET /api/v1/exposure-policies": STAFF,
    "POST /api/v1/exposure-policies": "admin ops",
    "GET /api/v1/exposure-policies/current": STAFF,
    "GET /api/v1/exposure-policies/<version>": STAFF,
    "GET /api/v1/instruments": " ".join(ROLES),
    "GET /api/v1/me/checkins": "contractor",
    "POST /api/v1/me/checkins": "contractor",
    "GET /api/v1/checkins": "wellbeing",
    "GET /api/v1/checkins/<check_in_id>": "wellbeing contractor",
    "GET /api/v1/referrals": "wellbeing",
    "GET /api/v1/referrals/<referral_id>": "wellbeing",
    "POST /api/v1/referrals/<referral_id>/follow-ups": "wellbeing",
    "POST /api/v1/me/rotation-request": "contractor",
    "GET /api/v1/wellbeing-rotations": "wellbeing",
    "POST /api/v1/wellbeing-rotations": "wellbeing",
    "GET /api/v1/wellbeing/access-log": "wellbeing",
    "GET /api/v1/me/wellbeing/access-log": "contractor",
    "GET /api/v1/pay/wage-distributions": "admin ops compliance",
    "POST /api/v1/pay/wage-distributions": "admin ops",
    "GET /api/v1/pay/wage-distributions/<distribution_id>": "admin ops compliance",
    "GET /api/v1/pay/rates": "admin ops compliance",
    "GET /api/v1/pay/policies": "admin ops compliance",
    "POST /api/v1/pay/policies": "admin ops",
    "GET /api/v1/pay/policies/current": "admin ops compliance",
    "GET /api/v1/pay/exchange-rates": "admin ops compliance",
    "GET /api/v1/contractors/<contractor_id>/pay-statements": "admin ops compliance contractor",
    "POST /api/v1/contractors/<contractor_id>/pay-statements": "admin ops",
    "GET /api/v1/pay-statements/<statement_id>": "admin ops compliance contractor",
    "DELETE /api/v1/pay-statements/<statement_id>": "admin ops",
    "POST /api/v1/pay-statements/<statement_id>/recalculate": "admin ops",
    "POST /api/v1/pay-statements/<statement_id>/finalize": "admin ops",
    "POST /api/v1/pay-statements/<statement_id>/adjust": "admin ops",
    "GET /api/v1/me/pay-statements": "contractor",
    "GET /api/v1/me/pay-statements/<statement_id>": "contractor",
    "POST /api/v1/contractors/<contractor_id>/portal-invite": "admin ops",
    "GET /api/v1/reports/exposure": "admin compliance",
    "GET /api/v1/reports/rotations": "admin compliance",
    "GET /api/v1/reports/exposure.png": "admin compliance",
    "GET /api/v1/reports/runs/<run_id>": "admin compliance",
    "GET /api/v1/reports/wellbeing": "admin compliance",
    "GET /api/v1/reports/pay": "admin compliance",
    "GET /api/v1/reports/pay.png": "admin compliance",
    "GET /api/v1/rotations": STAFF,
    "POST /api/v1/rotations": "admin ops",
    "GET /api/v1/rotations/<rotation_id>": f"{STAFF} contractor",
    "POST /api/v1/rotations/<rotation_id>/end": "admin ops",
    "POST /api/v1/rotations/<rotation_id>/review": "admin ops contractor",
    "POST /api/v1/rotations/sweep": "admin ops",
    "GET /api/v1/me/rotations": "contractor",
    "GET /api/v1/audit-events": "admin compliance",
    "GET /api/v1/audit-events/verify": "admin compliance",
    "GET /api/v1/audit-checkpoints": "admin compliance",
}
#: Served by flask-smorest itself: the document and its UI.
DOCUMENTATION = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/<path:filename>"}
#: Keys that only a contractor (about themself) and counsellors may ever receive.
WELLBEING_FIELDS = {"answers", "score", "raw_score", "band", "flagged", "urgent"}
#: Query strings some routes need to get past validation to the access decision.
QUERY = {
    "/api/v1/contractors/<contractor_id>/eligibility": "queue=safe-queue",
    "/api/v1/me/eligibility": "queue=safe-queue",
    "/api/v1/reports/exposure": "from=2026-01-01&to=2026-01-31",
    "/api/v1/reports/rotations": "from=2026-01-01&to=2026-01-31",
    "/api/v1/reports/exposure.png": "from=2026-01-01&to=2026-01-31",
    "/api/v1/reports/wellbeing": "from=2026-01-01&to=2026-01-31",
    "/api/v1/reports/pay": "from=2026-01-01&to=2026-01-31",
    "/api/v1/reports/pay.png": "from=2026-01-01&to=2026-01-31",
}


def api_routes(app: Flask) -> dict[str, Any]:
    """``"METHOD rule"`` -> the view method, for every API route."""
    found = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        if not path.startswith("/api/") or rule.rule in DOCUMENTATION:
            continue
        view_class = app.view_functions[rule.endpoint].view_class  # type: ignore[attr-defined]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found[f"{method} {path}"] = getattr(view_class, method.lower())
    return found


def test_every_route_has_an_entry_and_declares_exactly_those_roles(app) -> None:
    routes = api_routes(app)
    assert set(routes) == set(MATRIX), (
        f"missing from MATRIX: {sorted(set(routes) - set(MATRIX))}; "
        f"stale in MATRIX: {sorted(set(MATRIX) - set(routes))}"
    )
    for key, view in routes.items():
        declared = getattr(view, "allowed_roles", None)
        if MATRIX[key] == "public":
            assert declared is None, f"{key} is public but declares roles"
        else:
            assert declared == frozenset(MATRIX[key].split()), key


@pytest.fixture
def world(app, new_contractor) -> dict[str, int]:
    """Objects that belong to a victim contractor; requests come from someone else."""
    victim, caller, colleague = new_contractor(), new_contractor(), new_contractor()
    with app.test_request_context(), db.transaction(app) as session:
        credential = submit_credential(session, victim, {"kind": "license", "code": "RN"})
        queue_id = make_queue(session, slug="safe-queue", name="Safe")
        token = make_token(session, "contractor", contractor_id=victim, name="victim")
        notify_once(
            session,
            kind="test",
            audience="contractor",
            dedupe_key="victim",
            payload={},
            contractor_id=victim,
        )
        notification = session.scalar(select(Notification.id))
        delivery = Delivery(notification_id=notification, channel="email", target="v@example.org")
        session.add(delivery)
        # a PHQ-9 with item 9 above 0: flagged, so it opens a referral
        check_in = record_check_in(session, victim, "phq9", [0] * 8 + [1], pcl5_cutoff=33)
        referral = session.scalar(select(Referral.id))
        distribution, _ = add_distribution(
            session,
            ke_distribution(),
        )
        last_week = db.utcnow().date() - dt.timedelta(days=10)
        statement = create_statement(
            session,
            victim,
            {"period_start": last_week, "period_end": last_week + dt.timedelta(days=6)},
        )
        run = ReportRun(
            kind="exposure",
            content={"kind": "exposure"},
            sha256="0" * 64,
            generated_by_name="test",
            generated_by_role="admin",
        )
        session.add(run)
        session.flush()
        start = db.utcnow() + dt.timedelta(days=2)
        shift = create_shift(
            session,
            {
                "contractor_id": victim,
                "queue_id": queue_id,
                "starts_at": start,
                "ends_at": start + dt.timedelta(hours=8),
            },
        )
        later = (start + dt.timedelta(days=30)).date()
        pattern = create_pattern(
            session,
            {
                "contractor_id": victim,
                "queue_id": queue_id,
                "days_of_week": [0, 2],
                "local_start": dt.time(9, 0),
                "duration_minutes": 480,
                "starts_on": later,
                "until": later + dt.timedelta(days=13),
            },
        )
        # offered to a colleague only: the caller may not see or take it
        offer = offer_shift(session, victim, shift.id, to_contractor_id=colleague)
        rotation = start_rotation(
            session,
            contractor_id=victim,
            reason="daily_limit",
            started_at=db.utcnow(),
            ends_at=db.utcnow() + dt.timedelta(hours=24),
            explanation={"rule": "daily_limit"},
        )
        leave = time_off.request_time_off(
            session,
            session.get_one(Contractor, victim),
            {"starts_on": dt.date(2030, 1, 7), "ends_on": dt.date(2030, 1, 8), "kind": "wellbeing"},
        )
        return {
            "time_off_id": leave.id,
            "rotation_id": rotation.id,
            "contractor_id": victim,
            "credential_id": credential.id,
            "queue_id": queue_id,
            "token_id": token.id,
            "notification_id": notification,
            "delivery_id": delivery.id,
            "shift_id": shift.id,
            "pattern_id": pattern.id,
            "offer_id": offer.id,
            "distribution_id": distribution.id,
            "statement_id": statement.id,
            "check_in_id": check_in.id,
            "referral_id": referral,
            "run_id": run.id,
            "version": 1,
            "caller": caller,
        }


def fill(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"no test object for path parameter <{name}>: add one to world()"
        return str(ids[name])

    return re.sub(r"<(\w+)>", value, path)


def wellbeing_keys(body: Any) -> set[str]:
    if isinstance(body, dict):
        return (set(body) & WELLBEING_FIELDS).union(*(wellbeing_keys(v) for v in body.values()))
    if isinstance(body, list):
        return set().union(*(wellbeing_keys(v) for v in body)) if body else set()
    return set()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_allows(
    app, client, world, as_role: Callable[..., dict[str, str]], role: str
) -> None:
    headers = as_role(role, world["caller"] if role == "contractor" else None)
    for key, allowed in MATRIX.items():
        method, path = key.split(" ", 1)
        if allowed == "public":
            continue
        url = fill(path, world)
        if path in QUERY:
            url += "?" + QUERY[path]
        response = client.open(url, method=method, headers=headers, json={})
        assert response.status_code < 500, f"{role} {key}: {response.status_code}"
        if role not in allowed.split():
            assert response.status_code == 403, f"{role} {key}: {response.status_code}"
            continue
        assert response.status_code != 403, f"{role} {key} was refused"
        # (claiming someone else's shift is a 409 shift_taken: that is what a race loser sees)
        if role == "contractor" and re.search(
            r"<(contractor|credential|shift|token|offer)_id>", path
        ):
            expected = 409 if path.endswith("/claim") else 404
            assert response.status_code == expected, f"contractor reached another's object: {key}"
        if (
            role != "wellbeing"
            and response.is_json
            and response.data
            and response.status_code < 300
        ):
            assert not wellbeing_keys(response.json), f"{role} {key} received wellbeing data"
