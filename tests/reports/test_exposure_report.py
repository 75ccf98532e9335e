"""The exposure and rotation reports through the API: figures, suppression, formats,
evidence, stored runs, and bad input."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from tests.factories import make_queue
from workforce import db
from workforce.audit import AuditEvent
from workforce.exposure.ingest import rebuild_contractor_days
from workforce.exposure.models import ExposureDaily
from workforce.exposure.policy import DEFAULT_POLICY, create_policy
from workforce.reports import writers
from workforce.reports.evidence import content_hash
from workforce.rotations.models import Rotation

URL = "/api/v1/reports/exposure"
PERIOD = "from=2026-03-02&to=2026-03-15"


@pytest.fixture
def population(app, new_contractor) -> dict[str, list[int]]:
    """12 contractors in Kenya, 3 in Uganda; two weeks of roll-ups. Tier-3 work is on
    ``gore`` (Kenya's first 11) or ``gore-b`` (the others); every tier-3 day has one break
    due, missed on days 0, 4 and 8."""
    ke = [new_contractor(country="KE") for _ in range(12)]
    ug = [new_contractor(country="UG", timezone="Africa/Kampala") for _ in range(3)]
    with app.test_request_context(), db.transaction(app) as session:
        queues = {
            slug: make_queue(session, slug=slug, tier=tier, categories=[category])
            for slug, tier, category in (
                ("gore", 3, "violence_gore"),
                ("gore-b", 3, "violence_gore"),
                ("spam", 1, "harassment"),
            )
        }
        for n, cid in enumerate(ke + ug):
            for day in range(10):
                local_day = dt.date(2026, 3, 2) + dt.timedelta(days=day)
                session.add(
                    ExposureDaily(
                        contractor_id=cid,
                        local_day=local_day,
                        tier=3,
                        category="violence_gore",
                        queue_id=queues["gore" if n < 11 else "gore-b"],
                        seconds=60 * (100 + 20 * n + day),
                        items=1,
                        events=1,
                        breaks_due=1,
                        breaks_missed=int(day % 4 == 0),
                    )
                )
                session.add(
                    ExposureDaily(
                        contractor_id=cid,
                        local_day=local_day,
                        tier=1,
                        category="harassment",
                        queue_id=queues["spam"],
                        seconds=60 * 200,
                        items=1,
                        events=1,
                    )
                )
        session.flush()
        rebuild_contractor_days(session)
        breach = dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)
        for delay in (30, 90):
            session.add(
                Rotation(
                    contractor_id=ke[0],
                    reason="daily_limit",
                    status="active",
                    started_at=breach + dt.timedelta(seconds=delay),
                    ends_at=breach + dt.timedelta(days=2),
                    breach_at=breach,
                )
            )
    return {"KE": ke, "UG": ug}


def test_country_groups_with_suppression(client, as_role, population) -> None:
    body = client.get(f"{URL}?{PERIOD}&group_by=country", headers=as_role("compliance")).json
    rows = {row["country"]: row for row in body["rows"]}
    assert rows["UG"]["suppressed"] and rows["UG"]["exposure_hours"] is None
    # one hidden cell would be total minus the rest: Kenya is hidden with it
    assert rows["KE"]["suppressed"]
    total = body["total"]
    assert not total["suppressed"] and total["contractors"] == 15
    assert total["contractor_days"] == 150
    assert total["rotations_daily_limit"] == 2
    assert total["breach_to_rotation_median_seconds"] == 60
    assert total["breaks_due"] == 150
    assert total["break_compliance"] == round(1 - 45 / 150, 4)
    # tier-1 cap 480 min: 200 + 100 + 20n + day > 480 for n >= 10 (and n = 9, day > 0)
    assert total["days_over_tier1_cap"] == 9 + 10 * 5
    assert body["min_group"] == 10
    assert [p["version"] for p in body["policy_versions"]] == [1]
    assert body["sha256"] == content_hash(body)
    assert body["generated_by"]["role"] == "compliance"


def test_ungrouped_and_weekly_figures(client, admin, population) -> None:
    body = client.get(f"{URL}?{PERIOD}&country=KE", headers=admin).json
    (row,) = body["rows"]
    assert row["contractors"] == 12 and not row["suppressed"]
    seconds = sum(60 * (300 + 20 * n + d) for n in range(12) for d in range(10))
    assert row["exposure_hours"] == round(seconds / 3600, 3)
    assert row["mean_daily_minutes"] == round(seconds / 60 / 120, 2)
    weekly = client.get(f"{URL}?{PERIOD}&country=KE&group_by=week,tier", headers=admin).json
    keys = [(r["week"], r["tier"]) for r in weekly["rows"]]
    assert keys == [("2026-03-02", 1), ("2026-03-02", 3), ("2026-03-09", 1), ("2026-03-09", 3)]
    assert all(r["rotations_daily_limit"] is None for r in weekly["rows"])
    assert weekly["total"]["rotations_daily_limit"] == 2


def test_queue_groups_and_filter(client, admin, population) -> None:
    body = client.get(f"{URL}?{PERIOD}&group_by=queue", headers=admin).json
    rows = {row["queue"]: row for row in body["rows"]}
    assert set(rows) == {"gore", "gore-b", "spam"}
    assert rows["spam"]["contractors"] == 15 and not rows["spam"]["suppressed"]
    assert rows["spam"]["breaks_due"] == 0 and rows["spam"]["break_compliance"] is None
    assert rows["spam"]["rotations_daily_limit"] is None  # a rotation has no queue
    # gore-b (4 people) is small; gore, the next smallest, is hidden with it
    assert rows["gore-b"]["suppressed"] and rows["gore"]["suppressed"]
    gore = client.get(f"{URL}?{PERIOD}&queue=gore&group_by=country", headers=admin).json
    assert gore["filters"] == {"queue": "gore"}
    (ke,) = gore["rows"]
    assert ke["country"] == "KE" and ke["contractors"] == 11
    assert ke["breaks_due"] == 110 and ke["break_compliance"] == round(1 - 33 / 110, 4)
    seconds = sum(60 * (100 + 20 * n + d) for n in range(11) for d in range(10))
    assert gore["total"]["exposure_hours"] == round(seconds / 3600, 3)
    # the queues' exposure adds up to the unfiltered figure
    every = sum(60 * (300 + 20 * n + d) for n in range(15) for d in range(10))
    assert body["total"]["exposure_hours"] == round(every / 3600, 3)
    small = client.get(f"{URL}?{PERIOD}&queue=gore-b", headers=admin).json
    assert small["total"]["suppressed"]  # 4 contractors
    png = client.get(f"/api/v1/reports/exposure.png?{PERIOD}&queue=gore", headers=admin)
    assert png.status_code == 200 and png.headers["X-Report-SHA256"]


def test_csv_and_xlsx_match_json(client, admin, population) -> None:
    query = f"{URL}?{PERIOD}&group_by=country&group_by=week"
    body = client.get(query, headers=admin).json
    response = client.get(query + "&format=csv", headers=admin)
    assert response.content_type.startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == len(body["rows"]) + 1
    for line, row in zip(table, body["rows"], strict=False):
        assert line["country"] == row["country"] and line["week"] == row["week"]
        assert line["suppressed"] == str(row["suppressed"]).lower()
        for metric in body["metrics"]:
            expected = row[metric]
            assert line[metric] == ("" if expected is None else str(expected))
    response = client.get(query + "&format=xlsx", headers=admin)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["report"]
    titles = [c.value for c in sheet[1]]
    assert titles[:4] == ["Row", "Country", "Week (Monday)", "Hidden (small group)"]
    header, _rows = writers.table(body)  # the machine names, in the same order
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert values[-1][0] == "Total"
    total = dict(zip(header, values[-1], strict=True))
    assert total["contractors"] == body["total"]["contractors"]
    assert isinstance(total["exposure_hours"], float | int)
    # every cell, typed: numbers, booleans, real dates, blanks for null, as in the JSON
    assert len(values) == len(body["rows"]) + 1
    for cells, row in zip(values, [*body["rows"], body["total"]], strict=True):
        line = dict(zip(header, cells, strict=True))
        assert line["suppressed"] is row["suppressed"]
        if row.get("week"):
            assert line["week"] == dt.datetime.fromisoformat(row["week"])
        for metric in body["metrics"]:
            assert line[metric] == row[metric], metric
    assert response.headers["X-Report-SHA256"]


def test_runs_are_stored_and_by_contractor_is_audited(app, client, admin, population) -> None:
    body = client.get(f"{URL}?{PERIOD}&group_by=contractor&country=UG", headers=admin).json
    assert len(body["rows"]) == 3 and not any(r["suppressed"] for r in body["rows"])
    again = client.get(f"/api/v1/reports/runs/{body['run_id']}", headers=admin).json
    assert again == body
    assert content_hash(again) == again["sha256"]
    with db.transaction(app) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "report.exposure_by_contractor" in actions
    assert client.get("/api/v1/reports/runs/999999", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-10&to=2026-03-01", "from"),
        ("from=2025-01-01&to=2026-03-01", "to"),
        ("from=2026-03-01&to=2026-03-02&group_by=planet", "group_by"),
        ("from=2026-03-01&to=2026-03-02&format=pdf", "format"),
        ("from=2026-03-01&to=2026-03-02&queue=nowhere", "queue"),
        ("from=2026-03-01&to=2026-03-02&queue=", "queue"),
        ("from=2026-03-01&to=2026-03-02&tier=4", "tier"),
        ("from=2026-03-01&to=2026-03-02&category=cats", "category"),
        ("from=2026-03-01&to=2026-03-02&country=Kenya", "country"),
        ("from=2026-03-01&to=2026-03-02&colour=red", "colour"),
        ("to=2026-03-02", "from"),
    ],
)
def test_bad_input_is_422(client, admin, query, field) -> None:
    response = client.get(f"{URL}?{query}", headers=admin)
    assert response.status_code == 422, response.json
    assert field in str(response.json["errors"])


def test_rotation_report(app, client, as_role, population) -> None:
    with db.transaction(app) as session:
        first = session.scalars(select(Rotation).order_by(Rotation.id)).first()
        first.review_requested_at = first.started_at + dt.timedelta(hours=1)
        first.review_comment = "I was on a break"
    response = client.get(f"/api/v1/reports/rotations?{PERIOD}", headers=as_role("compliance"))
    body = response.json
    assert body["reviews_requested"] == 1
    assert body["rotations"] == 2 and body["breaches"] == 2
    assert body["by_reason"]["daily_limit"] == 2
    assert body["by_outcome"]["active"] == 2
    assert [r["delay_seconds"] for r in body["late_rotations"]] == [90]
    assert body["sha256"] == content_hash(body)
    assert (
        client.get(f"/api/v1/reports/rotations?{PERIOD}", headers=as_role("ops")).status_code == 403
    )


def test_chart_is_a_png(client, admin, population, tmp_path) -> None:
    response = client.get(f"/api/v1/reports/exposure.png?{PERIOD}&country=KE", headers=admin)
    assert response.status_code == 200 and response.content_type == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    keep = os.environ.get("WORKFORCE_KEEP_CHART")
    (Path(keep) if keep else tmp_path / "chart.png").write_bytes(response.data)


def test_a_policy_change_in_the_period_caps_each_day_by_its_version(
    app, client, admin, population
) -> None:
    """Version 2 raises tier 1's daily cap to 600 min from 2026-03-09: days before are held
    to 480, days from then to 600; the report cites both versions."""
    data = copy.deepcopy(DEFAULT_POLICY)
    for tier in data["tiers"]:
        if tier["tier"] == 1:
            tier["daily_cap_minutes"] = {"value": 600, "note": "test"}
    data["effective_from"] = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, data, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    body = client.get(f"{URL}?{PERIOD}", headers=admin).json
    assert [p["version"] for p in body["policy_versions"]] == [1, 2]
    # tier >= 1 minutes on day d for person n: 300 + 20n + d (days 0..6 before the change)
    expected = sum(
        1 for n in range(15) for d in range(10) if 300 + 20 * n + d > (480 if d < 7 else 600)
    )
    assert body["total"]["days_over_tier1_cap"] == expected == 6 + 5 * 7
    for field in ("period", "filters", "generated_at", "generated_by", "sha256", "run_id"):
        assert body[field] is not None
    assert body["period"] == {"from": "2026-03-02", "to": "2026-03-15"}
