"""Wellbeing aggregates: participation and share flagged, small groups suppressed."""

from __future__ import annotations

import datetime as dt

from tests.factories import make_queue, make_shift
from workforce import db
from workforce.wellbeing.checkins import record_check_in

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
URL = "/api/v1/reports/wellbeing?from=2026-03-01&to=2026-03-31"
FLAGGED = [0] * 8 + [1]  # PHQ-9 item 9 above 0: flagged
CALM = [0] * 9


def populate(app, new_contractor, country: str, workers: int, checked: int, flagged: int):
    people = [new_contractor(country=country) for _ in range(workers)]
    with app.test_request_context(), db.transaction(app) as session:
        queue = make_queue(
            session, slug=f"hate-{country.lower()}", tier=2, categories=["hate_extremism"]
        )
        for n, person in enumerate(people):
            make_shift(session, person, queue, START, hours=8, status="completed")
            if n < checked:
                check_in = record_check_in(
                    session, person, "phq9", FLAGGED if n < flagged else CALM, pcl5_cutoff=33
                )
                check_in.created_at = START + dt.timedelta(days=1)


def test_participation_and_flagged_share_with_suppression(app, client, as_role, new_contractor):
    populate(app, new_contractor, "KE", 14, 12, 3)
    populate(app, new_contractor, "CO", 11, 10, 1)
    populate(app, new_contractor, "PH", 4, 2, 1)
    response = client.get(URL, headers=as_role("compliance"))
    assert response.status_code == 200, response.json
    rows = {row["country"]: row for row in response.json["rows"]}
    assert rows["KE"] == {
        "country": "KE",
        "population": 14,
        "participants": 12,
        "participation": "0.857",
        "flagged_share": "0.250",
        "suppressed": False,
    }
    assert rows["PH"]["suppressed"] is True  # 2 participants
    assert rows["PH"]["flagged_share"] is None
    # complementary: with the total published, PH could be recovered from KE and CO alone
    assert rows["CO"]["suppressed"] is True
    total = response.json["total"]
    assert (total["population"], total["participants"]) == (29, 24)
    assert response.json["sha256"]


def test_grouped_by_queue_and_only_for_compliance(app, client, as_role, new_contractor):
    populate(app, new_contractor, "KE", 12, 11, 2)
    body = client.get(URL + "&group_by=queue", headers=as_role("admin")).json
    assert [row["queue"] for row in body["rows"]] == ["hate-ke"]
    assert body["rows"][0]["participants"] == 11
    for role in ("ops", "wellbeing", "ingest"):
        assert client.get(URL, headers=as_role(role)).status_code == 403
    bad = client.get(URL + "&group_by=contractor", headers=as_role("admin"))
    assert bad.status_code == 422
