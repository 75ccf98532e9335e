"""POST /exposure-events: idempotent, all or nothing, rolled up on the contractor's days."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import bearer
from tests.wellbeing.exposure_helpers import daily, event, make_queues, raw_count, recount

URL = "/api/v1/exposure-events"


@pytest.fixture
def world(app, new_contractor, make_token):
    make_queues(app)
    return {
        "nairobi": new_contractor(country="KE"),  # UTC+3
        "manila": new_contractor(country="PH"),  # UTC+8
        "bogota": new_contractor(country="CO"),  # UTC-5
        "token": make_token("ingest"),
    }


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def batch(cid: int, ids: range, start: dt.datetime) -> list[dict]:
    return [event(f"e{i}", cid, start + dt.timedelta(minutes=i), 60) for i in ids]


def test_same_batch_twice_is_stored_once(client, app, world) -> None:
    events = batch(world["nairobi"], range(10), now() - dt.timedelta(hours=1))
    first = client.post(URL, json={"events": events}, headers=bearer(world["token"]))
    assert first.status_code == 200, first.json
    assert first.json == {"accepted": 10, "duplicates": 0}
    again = client.post(URL, json={"events": events}, headers=bearer(world["token"]))
    assert again.json == {"accepted": 0, "duplicates": 10}
    assert raw_count(app) == 10
    assert sum(v[0] for v in daily(app).values()) == 600
    assert daily(app) == recount(app)


def test_overlapping_batches_add_only_the_new_events(client, app, world) -> None:
    start = now() - dt.timedelta(hours=2)
    a = batch(world["nairobi"], range(0, 10), start)
    b = batch(world["nairobi"], range(5, 15), start)
    assert client.post(URL, json={"events": a}, headers=bearer(world["token"])).json == {
        "accepted": 10,
        "duplicates": 0,
    }
    assert client.post(URL, json={"events": b}, headers=bearer(world["token"])).json == {
        "accepted": 5,
        "duplicates": 5,
    }
    assert raw_count(app) == 15
    assert sum(v[0] for v in daily(app).values()) == 15 * 60
    assert daily(app) == recount(app)


def test_two_tokens_may_use_the_same_event_ids(client, app, world, make_token) -> None:
    other = make_token("ingest", name="second platform")
    events = batch(world["manila"], range(3), now() - dt.timedelta(hours=1))
    assert (
        client.post(URL, json={"events": events}, headers=bearer(world["token"])).json["accepted"]
        == 3
    )
    assert client.post(URL, json={"events": events}, headers=bearer(other)).json == {
        "accepted": 3,
        "duplicates": 0,
    }
    assert raw_count(app) == 6
    assert daily(app) == recount(app)


def test_a_repeat_inside_one_batch_is_a_duplicate(client, app, world) -> None:
    one = event("same", world["nairobi"], now() - dt.timedelta(hours=1), 60)
    answer = client.post(URL, json={"events": [one, one]}, headers=bearer(world["token"]))
    assert answer.json == {"accepted": 1, "duplicates": 1}
    assert raw_count(app) == 1


def test_contractor_ref_and_ops_token(client, app, world, ops) -> None:
    cid = world["bogota"]
    body = event("by-ref", cid, now() - dt.timedelta(hours=1), 30)
    del body["contractor_id"]
    ref = client.get(f"/api/v1/contractors/{cid}", headers=ops).json["external_ref"]
    body["contractor_ref"] = ref
    assert client.post(URL, json={"events": [body]}, headers=ops).json["accepted"] == 1
    assert daily(app) == recount(app)


def test_tier_zero_events_are_kept_but_are_not_exposure(client, app, world) -> None:
    safe = event("s1", world["nairobi"], now() - dt.timedelta(hours=1), 600, queue="safe")
    assert (
        client.post(URL, json={"events": [safe]}, headers=bearer(world["token"])).json["accepted"]
        == 1
    )
    assert raw_count(app) == 1
    assert daily(app) == {}


def test_one_bad_event_rejects_the_whole_batch(client, app, world) -> None:
    events = batch(world["nairobi"], range(10), now() - dt.timedelta(hours=1))
    events[7]["duration_seconds"] = 4 * 3600 + 1
    answer = client.post(URL, json={"events": events}, headers=bearer(world["token"]))
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert list(answer.json["errors"]) == ["events.7.duration_seconds"]
    assert raw_count(app) == 0
    assert daily(app) == {}


def test_a_bad_reference_rejects_the_whole_batch(client, app, world, ops) -> None:
    events = batch(world["nairobi"], range(4), now() - dt.timedelta(hours=1))
    events[2]["category"] = "child_sexual_abuse"  # not a category of the gore queue
    events[3]["queue"] = "nope"
    answer = client.post(URL, json={"events": events}, headers=bearer(world["token"]))
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"events.2.category", "events.3.queue"}
    assert raw_count(app) == 0


def _future(e):
    e["started_at"] = (now() + dt.timedelta(minutes=6)).isoformat()


BAD = {
    "future": ("started_at", _future),
    "naive": ("started_at", lambda e: e.update(started_at="2026-01-01T10:00:00")),
    "not a date": ("started_at", lambda e: e.update(started_at="yesterday")),
    "too long": ("duration_seconds", lambda e: e.update(duration_seconds=14401)),
    "negative": ("duration_seconds", lambda e: e.update(duration_seconds=-1)),
    "float": ("duration_seconds", lambda e: e.update(duration_seconds=60.0)),
    "bool": ("duration_seconds", lambda e: e.update(duration_seconds=True)),
    "no id": ("event_id", lambda e: e.pop("event_id")),
    "long id": ("event_id", lambda e: e.update(event_id="x" * 129)),
    "both refs": ("contractor_id", lambda e: e.update(contractor_ref="ext-1")),
    "no contractor": ("contractor_id", lambda e: e.pop("contractor_id")),
    "unknown contractor": ("contractor_id", lambda e: e.update(contractor_id=999999)),
    "unknown ref": (
        "contractor_ref",
        lambda e: (e.pop("contractor_id"), e.update(contractor_ref="?")),
    ),
    "null category": ("category", lambda e: e.update(category=None)),
    "no category": ("category", lambda e: e.pop("category")),
    "unknown category": ("category", lambda e: e.update(category="spiders")),
    "unknown field": ("colour", lambda e: e.update(colour="red")),
    "items": ("items", lambda e: e.update(items=-3)),
    "unknown modality": ("modality", lambda e: e.update(modality="hologram")),
    "null modality": ("modality", lambda e: e.update(modality=None)),
    "modality list": ("modality", lambda e: e.update(modality=["video"])),
    "unknown mitigation": ("mitigations", lambda e: e.update(mitigations=["pixelated"])),
    "mitigation twice": ("mitigations", lambda e: e.update(mitigations=["muted", "muted"])),
    "mitigations text": ("mitigations", lambda e: e.update(mitigations="blurred")),
    "null mitigations": ("mitigations", lambda e: e.update(mitigations=None)),
    "mitigation object": ("mitigations", lambda e: e.update(mitigations=[{"a": 1}])),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_invalid_events_are_named(client, app, world, case) -> None:
    field, spoil = BAD[case]
    good = event("ok", world["nairobi"], now() - dt.timedelta(hours=1), 60)
    bad = event("bad", world["nairobi"], now() - dt.timedelta(hours=1), 60)
    spoil(bad)
    answer = client.post(URL, json={"events": [good, bad]}, headers=bearer(world["token"]))
    assert answer.status_code == 422, answer.json
    assert f"events.1.{field}" in answer.json["errors"], answer.json
    assert raw_count(app) == 0


def test_offboarded_contractors_and_tier_zero_categories(client, app, world, ops) -> None:
    cid = world["manila"]
    client.post(f"/api/v1/contractors/{cid}/offboard", json={"reason": "left"}, headers=ops)
    gone = event("x", cid, now() - dt.timedelta(hours=1), 60)
    safe = event("y", world["nairobi"], now() - dt.timedelta(hours=1), 60, queue="safe")
    safe["category"] = "harassment"
    answer = client.post(URL, json={"events": [gone, safe]}, headers=bearer(world["token"]))
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"events.0.contractor_id", "events.1.category"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"events": []},
        {"events": "all of them"},
        {"events": [1, "x", None]},
        {"events": [], "extra": 1},
    ],
)
def test_malformed_bodies(client, world, body) -> None:
    answer = client.post(URL, json=body, headers=bearer(world["token"]))
    assert answer.status_code == 422
    assert answer.json["errors"]


def test_at_most_5000_events(client, world) -> None:
    one = event("e", world["nairobi"], now() - dt.timedelta(hours=1), 1)
    answer = client.post(URL, json={"events": [one] * 5001}, headers=bearer(world["token"]))
    assert answer.status_code == 422
    assert "events" in answer.json["errors"]


@pytest.mark.parametrize("role", ["compliance", "wellbeing"])
def test_only_ingest_ops_and_admin_post_events(client, world, as_role, role) -> None:
    one = event("e", world["nairobi"], now() - dt.timedelta(hours=1), 1)
    assert client.post(URL, json={"events": [one]}, headers=as_role(role)).status_code == 403


def test_contractor_may_not_post_events(client, world, as_role) -> None:
    one = event("e", world["nairobi"], now() - dt.timedelta(hours=1), 1)
    headers = as_role("contractor", world["nairobi"])
    assert client.post(URL, json={"events": [one]}, headers=headers).status_code == 403


# --- local days: UTC+3, UTC+8 and UTC-5 ------------------------------------------------


@pytest.mark.parametrize(
    ("who", "local_midnight_utc"),
    [
        ("nairobi", dt.datetime(2026, 3, 10, 21, 0, tzinfo=dt.UTC)),  # 00:00 EAT, UTC+3
        ("manila", dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)),  # 00:00 PHT, UTC+8
        ("bogota", dt.datetime(2026, 3, 11, 5, 0, tzinfo=dt.UTC)),  # 00:00 COT, UTC-5
    ],
)
def test_events_split_at_the_contractors_local_midnight(
    client, app, world, who, local_midnight_utc
) -> None:
    cid = world[who]
    events = [
        # 10 minutes before local midnight to 20 minutes after: split 600 / 1200
        event("across", cid, local_midnight_utc - dt.timedelta(minutes=10), 1800),
        # ends exactly at midnight: wholly on the first day
        event("before", cid, local_midnight_utc - dt.timedelta(hours=1), 3600),
        # starts exactly at midnight: wholly on the second day
        event("after", cid, local_midnight_utc, 60, items=4),
    ]
    answer = client.post(URL, json={"events": events}, headers=bearer(world["token"]))
    assert answer.json == {"accepted": 3, "duplicates": 0}
    rows = daily(app)
    first, second = dt.date(2026, 3, 10), dt.date(2026, 3, 11)
    by_day = {key[:4]: value for key, value in rows.items()}  # one queue: gore
    assert by_day[(cid, first, 3, "violence_gore")] == (600 + 3600, 2, 2)
    assert by_day[(cid, second, 3, "violence_gore")] == (1200 + 60, 4, 1)
    assert rows == recount(app)


def test_concurrent_overlapping_batches_count_each_event_once(app, world, make_token) -> None:
    """Two platforms' workers retrying at once: every request succeeds or asks to be
    retried, and in the end each (token, event_id) is counted exactly once."""
    import threading

    start = now() - dt.timedelta(hours=3)
    cids = (world["nairobi"], world["manila"], world["bogota"])
    events = [
        event(f"c{i}", cids[i % 3], start + dt.timedelta(seconds=30 * i), 25) for i in range(300)
    ]
    chunks = [events[0:200], events[100:300], events[50:250], events[0:300]]
    accepted: list[int] = []

    def post(chunk: list[dict]) -> None:
        client = app.test_client()
        for _attempt in range(20):
            answer = client.post(URL, json={"events": chunk}, headers=bearer(world["token"]))
            if answer.status_code == 200:
                accepted.append(answer.json["accepted"])
                return
            assert answer.status_code in (409, 503), answer.json

    threads = [threading.Thread(target=post, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == len(chunks)
    assert sum(accepted) == 300
    assert raw_count(app) == 300
    assert daily(app) == recount(app)
