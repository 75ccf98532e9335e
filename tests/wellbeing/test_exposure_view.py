"""GET /contractors/{id}/exposure and /me/exposure."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.wellbeing.exposure_helpers import event, ingest_now, ingest_token, make_queues

# Manila, UTC+8: 2026-05-12 is the local "today" at NOW.
NOW = dt.datetime(2026, 5, 12, 6, 0, tzinfo=dt.UTC)
MIDNIGHT = dt.datetime(2026, 5, 11, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def person(app, new_contractor):
    make_queues(app)
    cid = new_contractor(country="PH")
    token = ingest_token(app)
    events = [
        # another tier-3 queue carrying violence_gore: the view and limits add it up
        event("a", cid, MIDNIGHT + dt.timedelta(hours=1), 30 * 60, queue="gore-b"),
        event("b", cid, MIDNIGHT + dt.timedelta(hours=2), 10 * 60, queue="spam", items=7),
        event("c", cid, MIDNIGHT - dt.timedelta(days=1, minutes=-60), 65 * 60),  # yesterday
        # a 65-minute tier-3 run ending 10 minutes before NOW: a break is due
        event("d", cid, NOW - dt.timedelta(minutes=75), 65 * 60),
    ]
    ingest_now(app, token, events, NOW)
    return cid


def test_staff_view(client, person, as_role) -> None:
    answer = client.get(
        f"/api/v1/contractors/{person}/exposure",
        query_string={"from": "2026-05-10", "to": "2026-05-12", "at": NOW.isoformat()},
        headers=as_role("compliance"),
    )
    assert answer.status_code == 200, answer.json
    view = answer.json
    assert (view["from"], view["to"], view["today"]) == ("2026-05-10", "2026-05-12", "2026-05-12")
    assert view["timezone"] == "Asia/Manila"
    rows = {(r["date"], r["tier"], r["category"]): r for r in view["days"]}
    assert len(rows) == len(view["days"])  # one entry per day, tier and category
    assert rows[("2026-05-12", 3, "violence_gore")]["minutes"] == 95.0
    assert rows[("2026-05-12", 1, "harassment")]["items"] == 7
    assert rows[("2026-05-11", 3, "violence_gore")]["seconds"] == 65 * 60
    tiers = {t["tier"]: t for t in view["tiers"]}
    assert tiers[3]["today_minutes"] == 95.0
    assert tiers[3]["remaining_minutes_today"] == 240 - 95
    assert tiers[1]["today_minutes"] == 105.0  # tier 1 counts all disturbing content
    assert tiers[1]["remaining_minutes_today"] == 480 - 105
    assert tiers[3]["consecutive_days"] == 2
    assert tiers[3]["rolling_7_day_minutes"] == 160.0
    assert tiers[3]["break_due"] is True
    assert view["break_due"] is True
    assert view["break_until"].startswith("2026-05-12T06:05:00")
    assert "display" not in view


def test_my_view_is_localized(client, person, as_role) -> None:
    me = as_role("contractor", person)
    answer = client.get("/api/v1/me/exposure", query_string={"at": NOW.isoformat()}, headers=me)
    assert answer.status_code == 200, answer.json
    view = answer.json
    assert view["locale"]
    assert view["display"]["today"]
    assert "break_until" in view["display"]
    assert all(r["display"]["duration"] for r in view["days"])
    assert view["tiers"][0]["display"]["remaining_today"]


def test_eligibility_and_the_view_give_one_tier_standing(client, app, new_contractor, as_role):
    """Issue 20: the two answers serialised a tier's standing apart and had drifted
    (``today_minutes`` whole minutes in eligibility, one decimal in the view). Now one
    serialisation: for the same contractor and instant, the entries are equal, whole
    minutes rounded down."""
    make_queues(app)
    cid = new_contractor(country="PH")
    events = [
        event("a", cid, MIDNIGHT + dt.timedelta(hours=1), 30 * 60 + 45, queue="gore-b"),
        event("b", cid, MIDNIGHT + dt.timedelta(hours=2), 10 * 60 + 20, queue="spam"),
        event("c", cid, MIDNIGHT - dt.timedelta(hours=5), 20 * 60 + 50, queue="hate"),
        event("d", cid, NOW - dt.timedelta(minutes=75), 65 * 60 + 30),
    ]
    ingest_now(app, ingest_token(app), events, NOW)
    ops = as_role("ops")
    at = {"at": NOW.isoformat()}
    view = client.get(f"/api/v1/contractors/{cid}/exposure", query_string=at, headers=ops)
    verdict = client.get(
        f"/api/v1/contractors/{cid}/eligibility", query_string={**at, "queue": "gore"}, headers=ops
    )
    assert view.status_code == verdict.status_code == 200, (view.json, verdict.json)
    shown = {entry["tier"]: entry for entry in view.json["tiers"]}
    checked = verdict.json["details"]["exposure"]["tiers"]
    assert [entry["tier"] for entry in checked] == [1, 2, 3]
    for entry in checked:
        assert entry == shown[entry["tier"]]
    assert shown[3]["today_minutes"] == 96  # 30:45 + 65:30
    assert shown[1]["today_minutes"] == 106  # and 10:20 of tier 1
    assert shown[2]["rolling_7_day_minutes"] == 117  # and 20:50 of tier 2 yesterday
    assert shown[3]["continuous_minutes"] == 65
    assert view.json["rolling_7_day_minutes"] == shown[1]["rolling_7_day_minutes"] == 127
    assert verdict.json["remaining_minutes_today"] == shown[3]["remaining_minutes_today"]


def test_the_openapi_document_types_the_tier_standing_once(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    one = {"$ref": "#/components/schemas/TierStanding"}
    assert schemas["ExposureView"]["properties"]["tiers"]["items"] == one
    assert schemas["EligibilityExposure"]["properties"]["tiers"]["items"] == one
    assert schemas["Eligibility"]["properties"]["details"] == {
        "$ref": "#/components/schemas/EligibilityDetails"
    }
    minutes = [name for name in schemas["TierStanding"]["properties"] if "minutes" in name]
    assert {schemas["TierStanding"]["properties"][name]["type"] for name in minutes} == {"integer"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-05-12", "to": "2026-05-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-05-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"at": "2026-05-12T06:00:00"}, "at"),
    ],
)
def test_bad_ranges(client, person, admin, query, field) -> None:
    answer = client.get(f"/api/v1/contractors/{person}/exposure", query_string=query, headers=admin)
    assert answer.status_code == 422
    assert field in answer.json["errors"]


def test_access(client, person, as_role, new_contractor) -> None:
    url = f"/api/v1/contractors/{person}/exposure"
    assert client.get(url, headers=as_role("ops")).status_code == 200
    for role in ("ingest", "wellbeing"):
        assert client.get(url, headers=as_role(role)).status_code == 403
    other = new_contractor()
    assert client.get(url, headers=as_role("contractor", other)).status_code == 403
    assert client.get("/api/v1/me/exposure", headers=as_role("ops")).status_code == 403
    assert (
        client.get("/api/v1/contractors/999999/exposure", headers=as_role("ops")).status_code == 404
    )
