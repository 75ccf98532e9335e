"""The staff inbox: each role reads only its own audience; admin never reads wellbeing."""

from __future__ import annotations

from workforce import db
from workforce.notifications.services import INBOX_AUDIENCES, notify_once


def queue(app, contractor: int) -> None:
    with db.transaction(app) as session:
        for audience in ("ops", "compliance", "wellbeing", "contractor"):
            notify_once(
                session,
                kind=f"{audience}.thing",
                audience=audience,
                dedupe_key=audience,
                payload={},
                contractor_id=contractor,
            )


def test_each_role_reads_its_own_audience_and_marks_it_read(
    app, client, as_role, new_contractor
) -> None:
    queue(app, new_contractor())
    seen = {}
    for role in ("admin", "ops", "compliance", "wellbeing"):
        items = client.get("/api/v1/notifications", headers=as_role(role)).json["items"]
        seen[role] = sorted(item["audience"] for item in items)
    assert seen == {
        "admin": ["compliance", "ops"],
        "ops": ["ops"],
        "compliance": ["compliance"],
        "wellbeing": ["wellbeing"],
    }
    assert all("wellbeing" not in INBOX_AUDIENCES[r] for r in ("admin", "ops", "compliance"))

    [referral] = client.get("/api/v1/notifications", headers=as_role("wellbeing")).json["items"]
    for role in ("admin", "ops", "compliance"):
        answer = client.post(f"/api/v1/notifications/{referral['id']}/read", headers=as_role(role))
        assert answer.status_code == 404
    read = client.post(f"/api/v1/notifications/{referral['id']}/read", headers=as_role("wellbeing"))
    assert read.status_code == 200 and read.json["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=as_role("wellbeing")).json
    assert unread["total"] == 0


def test_the_inbox_is_paginated(app, client, as_role) -> None:
    with db.transaction(app) as session:
        for n in range(5):
            notify_once(session, kind="k", audience="ops", dedupe_key=f"o{n}", payload={"n": n})
    page = client.get("/api/v1/notifications?page=2&page_size=2", headers=as_role("ops")).json
    assert page["total"] == 5
    assert [item["payload"]["n"] for item in page["items"]] == [2, 1]
