"""The exposure report by modality and mitigations: groups, filters, raw and weighted
minutes, the weights cited, and suppression of the new groups."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tests.factories import make_queue
from workforce import db
from workforce.exposure.ingest import rebuild_contractor_days
from workforce.exposure.models import ExposureDaily
from workforce.exposure.policy import DEFAULT_POLICY, create_policy

URL = "/api/v1/reports/exposure"
PERIOD = "from=2026-03-02&to=2026-03-06"
DAYS = 5
#: (modality, mitigations, minutes a day, contractors)
WORK = (("video", "blurred", 100, 12), ("text", "none", 50, 12), ("audio", "unknown", 30, 3))


@pytest.fixture
def population(app, new_contractor) -> list[int]:
    """12 contractors with blurred video and unmitigated text every day; 3 of them with
    audio that did not say its mitigations too."""
    ids = [new_contractor(country="KE") for _ in range(12)]
    with app.test_request_context(), db.transaction(app) as session:
        gore = make_queue(session, slug="gore", tier=3, categories=["violence_gore"])
        for modality, mitigations, minutes, people in WORK:
            for cid in ids[:people]:
                for day in range(DAYS):
                    session.add(
                        ExposureDaily(
                            contractor_id=cid,
                            local_day=dt.date(2026, 3, 2) + dt.timedelta(days=day),
                            tier=3,
                            category="violence_gore",
                            queue_id=gore,
                            modality=modality,
                            mitigations=mitigations,
                            seconds=60 * minutes,
                            items=1,
                            events=1,
                        )
                    )
        session.flush()
        rebuild_contractor_days(session)
    return ids


def minutes(modality: str) -> int:
    return next(m * people * DAYS for name, _mit, m, people in WORK if name == modality)


def weights(app, *versions: tuple[dt.datetime, float]) -> None:
    """New policy versions weighing video, each in force from its instant."""
    for at, video in versions:
        data = copy.deepcopy(DEFAULT_POLICY)
        data["modality_weights"] = {"video": {"value": video, "note": "an operator's study"}}
        with app.test_request_context(), db.transaction(app) as session:
            create_policy(session, {**data, "effective_from": at}, now=versions[0][0])


def test_group_by_modality_suppresses_small_groups(client, admin, population) -> None:
    body = client.get(f"{URL}?{PERIOD}&group_by=modality", headers=admin).json
    rows = {row["modality"]: row for row in body["rows"]}
    assert set(rows) == {"audio", "text", "video"}
    # 3 people listened to audio: under the minimum of 10, hidden (and one more with it,
    # or the total would give it away)
    assert rows["audio"]["suppressed"] and rows["audio"]["exposure_minutes"] is None
    assert rows["audio"]["weighted_exposure_minutes"] is None
    assert sum(row["suppressed"] for row in rows.values()) == 2
    shown = [row for row in rows.values() if not row["suppressed"]]
    assert len(shown) == 1 and shown[0]["contractors"] == 12
    assert shown[0]["exposure_minutes"] == minutes(shown[0]["modality"])
    total = body["total"]
    assert not total["suppressed"] and total["contractors"] == 12
    assert total["exposure_minutes"] == sum(minutes(m) for m, *_ in WORK)
    # rotations cannot be attributed to a modality
    assert all(row["rotations_daily_limit"] is None for row in rows.values())


def test_filters_by_modality_and_mitigation(client, admin, population) -> None:
    video = client.get(f"{URL}?{PERIOD}&modality=video", headers=admin).json
    assert video["filters"] == {"modality": "video"}
    (row,) = video["rows"]
    assert row["exposure_minutes"] == row["weighted_exposure_minutes"] == minutes("video")
    blurred = client.get(f"{URL}?{PERIOD}&mitigation=blurred", headers=admin).json
    assert blurred["rows"][0]["exposure_minutes"] == minutes("video")
    none = client.get(f"{URL}?{PERIOD}&mitigation=none", headers=admin).json
    assert none["rows"][0]["exposure_minutes"] == minutes("text")
    by_set = client.get(f"{URL}?{PERIOD}&group_by=mitigations&modality=audio", headers=admin)
    (audio,) = by_set.json["rows"]
    assert audio["mitigations"] == "unknown" and audio["suppressed"]
    # with a filter dividing the days, the total counts only what the filter keeps
    assert by_set.json["total"]["suppressed"]


def test_unknown_values_are_a_named_422(client, admin, population) -> None:
    for query, field in (
        ("modality=smell", "modality"),
        ("mitigation=pixelated", "mitigation"),
        ("group_by=modality,flavour", "group_by"),
    ):
        answer = client.get(f"{URL}?{PERIOD}&{query}", headers=admin)
        assert answer.status_code == 422, query
        assert answer.mimetype == "application/problem+json"
        assert field in answer.json["errors"], answer.json


def test_default_weights_leave_minutes_as_they_are(client, admin, population) -> None:
    body = client.get(f"{URL}?{PERIOD}", headers=admin).json
    (row,) = body["rows"]
    assert row["weighted_exposure_minutes"] == row["exposure_minutes"]
    (cited,) = body["modality_weights"]
    assert cited == {
        "version": 1,
        "weights": {"text": 1.0, "image": 1.0, "video": 1.0, "audio": 1.0, "live": 1.0},
    }


def test_weighted_minutes_follow_the_version_of_each_day(client, admin, app, population) -> None:
    # video at 0.5 from before the period, back to 1.0 from its third day
    weights(
        app,
        (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), 0.5),
        (dt.datetime(2026, 3, 4, tzinfo=dt.UTC), 1.0),
    )
    body = client.get(f"{URL}?{PERIOD}&group_by=modality", headers=admin).json
    assert [p["version"] for p in body["policy_versions"]] == [2, 3]
    assert [(w["version"], w["weights"]["video"]) for w in body["modality_weights"]] == [
        (2, 0.5),
        (3, 1.0),
    ]
    video_a_day = 12 * 100
    weighted_video = video_a_day * (2 * 0.5 + 3 * 1.0)
    total = body["total"]
    raw = sum(minutes(m) for m, *_ in WORK)
    assert total["exposure_minutes"] == raw
    assert total["weighted_exposure_minutes"] == raw - minutes("video") + weighted_video
    text = client.get(f"{URL}?{PERIOD}&modality=text", headers=admin).json["rows"][0]
    assert text["weighted_exposure_minutes"] == text["exposure_minutes"] == minutes("text")
    # caps and the p95 count raw minutes: 180 min a day is under the 240-minute cap
    assert total["days_over_tier3_cap"] == 0
    assert total["p95_daily_minutes"] == 180
