"""Exposure events' modality and mitigations: stored as sent, rolled up as a recount from
the raw events gives them (docs/exposure.md, "Modality and mitigations")."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import bearer, empty_tables
from tests.factories import make_contractor
from tests.wellbeing.exposure_helpers import (
    contractor_days,
    daily,
    event,
    ingest_now,
    ingest_token,
    make_queues,
    per_contractor_day,
    recount,
)
from workforce import db
from workforce.exposure.models import ExposureEvent
from workforce.harm import MITIGATIONS, MODALITIES

URL = "/api/v1/exposure-events"
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
ZONES = ("Africa/Nairobi", "America/New_York")


def test_stored_as_sent_and_unknown_when_absent(client, app, new_contractor, make_token) -> None:
    make_queues(app)
    cid = new_contractor(country="KE")
    token = make_token("ingest")
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    events = [
        event("a", cid, at, 60, modality="video", mitigations=["muted", "blurred"]),
        event("b", cid, at, 60, modality="live", mitigations=[]),
        event("c", cid, at, 60),
        event("d", cid, at, 60, modality="text"),
    ]
    answer = client.post(URL, json={"events": events}, headers=bearer(token))
    assert answer.json == {"accepted": 4, "duplicates": 0}, answer.json
    with db.get_db(app).reader() as session:
        stored = {
            e.event_id: (e.modality, e.mitigations) for e in session.scalars(select(ExposureEvent))
        }
    assert stored == {
        "a": ("video", "blurred,muted"),  # sorted: one stored form per set
        "b": ("live", "none"),
        "c": (None, None),
        "d": ("text", None),
    }
    rolled = {key[5:]: value[0] for key, value in daily(app, by_modality=True).items()}
    assert rolled == {
        ("video", "blurred,muted"): 60,
        ("live", "none"): 60,
        ("unknown", "unknown"): 60,
        ("text", "unknown"): 60,
    }


def test_a_bad_modality_is_named_and_rejects_the_batch(
    client, app, new_contractor, make_token
) -> None:
    make_queues(app)
    cid = new_contractor(country="KE")
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    events = [event(f"e{n}", cid, at, 60, modality="image") for n in range(5)]
    events[3]["modality"] = "smell"
    answer = client.post(URL, json={"events": events}, headers=bearer(make_token("ingest")))
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert list(answer.json["errors"]) == ["events.3.modality"]
    assert "text, image, video, audio, live" in answer.json["errors"]["events.3.modality"][0]


event_st = st.fixed_dictionaries(
    {
        "who": st.integers(0, len(ZONES) - 1),
        "offset": st.integers(0, 4 * 86400),
        "seconds": st.integers(0, 4 * 3600),
        "queue": st.sampled_from(["gore", "hate", "spam", "safe"]),
        "modality": st.one_of(st.none(), st.sampled_from(MODALITIES)),
        "mitigations": st.one_of(st.none(), st.lists(st.sampled_from(MITIGATIONS), unique=True)),
        "id": st.integers(0, 40),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(event_st, min_size=1, max_size=40), cut=st.integers(0, 40))
def test_rollups_by_modality_equal_a_recount_from_raw_events(app, events, cut) -> None:
    empty_tables(app)
    make_queues(app)
    with db.transaction(app) as session:
        ids = [make_contractor(session, country="KE", timezone=zone) for zone in ZONES]
    token = ingest_token(app)
    bodies = []
    for e in events:
        extra = {k: e[k] for k in ("modality", "mitigations") if e[k] is not None}
        at = NOW - dt.timedelta(seconds=e["offset"])
        bodies.append(
            event(f"ev-{e['id']}", ids[e["who"]], at, e["seconds"], queue=e["queue"], **extra)
        )
    for chunk in (bodies[:cut], bodies[cut:]):
        if chunk:
            ingest_now(app, token, chunk, NOW)
    expected = recount(app, by_modality=True)
    assert daily(app, by_modality=True) == expected
    # the per-day roll-up still sums every modality and mitigation
    seconds = {key[:5]: 0 for key in expected}
    for key, (value, _items, _events) in expected.items():
        seconds[key[:5]] += value
    assert {k: v[:3] for k, v in contractor_days(app).items()} == {
        k: v[:3] for k, v in per_contractor_day(seconds).items()
    }
