"""Field-level allow-lists: in a world where everything wellbeing has happened (a flagged
check-in and its referral, a counsellor's follow-up, a wellbeing rotation with private
details that cancelled a shift, a self-requested rotation with a private reason, exposure,
a stored report), every GET that admin, ops or compliance may call — lists and objects,
JSON and CSV — is walked, and none of them carries a wellbeing field or any of the private
text. The notifications addressed to staff (posted to their webhooks) are held to the same
rule."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.test_access_matrix import MATRIX, WELLBEING_FIELDS, api_routes, wellbeing_keys
from tests.pay.data import ke_distribution
from tests.wellbeing.exposure_helpers import consent, make_queues
from workforce import db
from workforce.notifications.models import Notification
from workforce.reports.wellbeing import week_of

API = "/api/v1"
#: Private text planted in the world; it must never come back to these roles.
SECRETS = ("PRIVATE-wellbeing-details", "PRIVATE-own-reason", "PRIVATE-follow-up")
#: Wellbeing field names beyond the scores: the questionnaire, the counsellor's side. (The
#: private notes and details are caught by their text: ``note`` is also a policy's field.)
PRIVATE_KEYS = WELLBEING_FIELDS | {
    "instrument",
    "referral_id",
    "follow_ups",
    "outcome",
    "worsening",
    "drop_key",
}
STAFF_READERS = ("admin", "ops", "compliance")


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


@pytest.fixture
def world(app, client, new_contractor, as_role) -> dict[str, list[int]]:
    """Everything wellbeing, done through the API by the people who do it."""
    admin, counsellor = as_role("admin"), as_role("wellbeing")
    make_queues(app)
    victim, asker = new_contractor(), new_contractor()
    for who in (victim, asker):
        consent(app, who)
    queues = {
        q["slug"]: q["id"] for q in ok(client.get(f"{API}/queues", headers=admin), 200)["items"]
    }
    start = db.utcnow().replace(microsecond=0) + dt.timedelta(days=1)
    shift = ok(
        client.post(
            f"{API}/shifts",
            headers=admin,
            json={
                "contractor_id": victim,
                "queue_id": queues["gore"],
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(hours=6)).isoformat(),
            },
        )
    )
    later = (start + dt.timedelta(days=40)).date()
    pattern = ok(
        client.post(
            f"{API}/shift-patterns",
            headers=admin,
            json={
                "contractor_id": victim,
                "queue_id": queues["gore"],
                "days_of_week": [0, 3],
                "local_start": "09:00",
                "duration_minutes": 360,
                "from": later.isoformat(),
                "until": (later + dt.timedelta(days=13)).isoformat(),
            },
        ),
        201,
    )
    now = db.utcnow().replace(microsecond=0)
    ok(
        client.post(
            f"{API}/exposure-events",
            headers=as_role("ingest"),
            json={
                "events": [
                    {
                        "event_id": f"e{who}",
                        "contractor_id": who,
                        "queue": "gore",
                        "category": "violence_gore",
                        "started_at": (now - dt.timedelta(hours=2)).isoformat(),
                        "duration_seconds": 1800,
                    }
                    for who in (victim, asker)
                ]
            },
        ),
        200,
    )
    check_in = ok(
        client.post(
            f"{API}/me/checkins",
            headers=as_role("contractor", victim),
            json={"instrument": "phq9", "answers": [2, 2, 2, 2, 1, 1, 0, 0, 1]},
        )
    )
    assert check_in["flagged"]
    # A WHO-5 that fell by 40 points: a referral that says why, for counsellors only.
    for answers in ([5, 5, 5, 5, 5], [3, 3, 3, 3, 3]):
        who5 = ok(
            client.post(
                f"{API}/me/checkins",
                headers=as_role("contractor", asker),
                json={"instrument": "who5", "answers": answers},
            )
        )
    assert who5["referral"] is not None and not who5["flagged"]
    referral = ok(client.get(f"{API}/referrals?urgent=true", headers=counsellor), 200)["items"][0]
    ok(
        client.post(
            f"{API}/referrals/{referral['id']}/follow-ups",
            headers=counsellor,
            json={"contacted": True, "outcome": SECRETS[2]},
        )
    )
    placed = ok(
        client.post(
            f"{API}/wellbeing-rotations",
            headers=counsellor,
            json={"contractor_id": victim, "days": 3, "details": SECRETS[0]},
        )
    )
    asked = ok(
        client.post(
            f"{API}/me/rotation-request",
            headers=as_role("contractor", asker),
            json={"days": 2, "reason": SECRETS[1]},
        )
    )
    credential = ok(
        client.post(
            f"{API}/contractors/{victim}/credentials",
            headers=admin,
            json={"kind": "license", "code": "RN"},
        )
    )
    distribution = ok(
        client.post(
            f"{API}/pay/wage-distributions",
            headers=admin,
            json=ke_distribution(),
        )
    )
    day = now.date()
    statement = ok(
        client.post(
            f"{API}/contractors/{victim}/pay-statements",
            headers=admin,
            json={"period_start": str(day - dt.timedelta(days=7)), "period_end": str(day)},
        )
    )
    tokens = ok(client.get(f"{API}/tokens", headers=admin), 200)["items"]
    # the planted text is really there, for those who may read it
    private = client.get(f"{API}/wellbeing-rotations", headers=counsellor).get_data(as_text=True)
    assert SECRETS[0] in private and SECRETS[1] in private
    report = client.get(
        f"{API}/reports/exposure?from={day}&to={day}&group_by=contractor", headers=admin
    )
    assert report.status_code == 200
    return {
        "contractor_id": [victim, asker],
        "rotation_id": [placed["id"], asked["id"]],
        "shift_id": [shift["id"]],
        "pattern_id": [pattern["id"]],
        "queue_id": list(queues.values()),
        "run_id": [report.json["run_id"]],
        "version": [1],
        "check_in_id": [check_in["id"]],
        "credential_id": [credential["id"]],
        "distribution_id": [distribution["id"]],
        "statement_id": [statement["id"]],
        "token_id": [t["id"] for t in tokens],
    }


def urls(app, role: str, world: dict[str, list[int]]) -> list[str]:
    """Every GET ``role`` may call, once per planted object for each path parameter."""
    day = db.utcnow().date()
    period = f"from={day - dt.timedelta(days=27)}&to={day}"
    last_week = week_of(day - dt.timedelta(days=7))
    query = {
        "/api/v1/contractors/<contractor_id>/eligibility": ["queue=gore"],
        "/api/v1/reports/exposure": [
            f"{period}&group_by=contractor",
            f"{period}&group_by=contractor&format=csv",
            period,
        ],
        "/api/v1/reports/rotations": [period],
        "/api/v1/reports/exposure.png": [period],
        # whole bins that are over only (issue 17.2): last ISO week
        "/api/v1/reports/wellbeing": [f"from={last_week.start}&to={last_week.end}"],
    }
    found = []
    for key in api_routes(app):
        method, path = key.split(" ", 1)
        if method != "GET" or role not in MATRIX[key].split():
            continue
        filled = [path]
        for name in re.findall(r"<(\w+)>", path):
            assert name in world, f"no planted object for <{name}> in {path}: add one"
            filled = [u.replace(f"<{name}>", str(v)) for u in filled for v in world[name]]
        for url in filled:
            found += [f"{url}?{q}" for q in query.get(path, ["page_size=500"])]
    return found


@pytest.mark.parametrize("role", STAFF_READERS)
def test_no_staff_role_receives_wellbeing_fields_or_private_text(
    app, client, world, as_role, role: str
) -> None:
    headers = as_role(role)
    walked = 0
    for url in urls(app, role, world):
        response = client.get(url, headers=headers)
        assert response.status_code < 500, f"{role} {url}: {response.status_code}"
        if response.status_code != 200 or response.mimetype == "image/png":
            continue
        walked += 1
        text = response.get_data(as_text=True)
        assert not [s for s in SECRETS if s in text], f"{role} {url} leaks private text"
        if response.is_json:
            leaked = private_keys(response.json)
            assert not leaked, f"{role} {url} receives wellbeing fields {leaked}"
    assert walked > 20  # the walk reached the seeded objects, not a wall of errors
    # ops and compliance see that a rotation is a wellbeing one, and nothing more
    rotation = client.get(f"{API}/rotations/{world['rotation_id'][0]}", headers=headers).json
    assert rotation["reason"] == "wellbeing"


def private_keys(body: Any) -> set[str]:
    if isinstance(body, dict):
        return (set(body) & PRIVATE_KEYS).union(*(private_keys(v) for v in body.values()))
    if isinstance(body, list):
        return set().union(*(private_keys(v) for v in body))
    return set()


def test_notifications_to_staff_carry_no_wellbeing_data(app, world) -> None:
    with db.get_db(app).reader() as session:
        notes = session.scalars(
            select(Notification).where(Notification.audience.in_(("ops", "compliance", "admin")))
        ).all()
    assert any(n.kind == "shift.cancelled" for n in notes)  # the wellbeing rotation's
    for note in notes:
        text = json.dumps(note.payload)
        assert not [s for s in SECRETS if s in text], note.kind
        assert not private_keys(note.payload) and not wellbeing_keys(note.payload), note.kind
