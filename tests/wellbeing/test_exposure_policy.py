"""Versioned exposure policies: the default, new versions, old versions forever readable."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from tests.wellbeing.exposure_helpers import consent, event, ingest_now, ingest_token, make_queues
from workforce import create_app, db
from workforce.cli import upgrade
from workforce.exposure.policy import DEFAULT_POLICY, create_policy
from workforce.harm import MODALITIES

URL = "/api/v1/exposure-policies"


def body(**changes) -> dict:
    data = copy.deepcopy(DEFAULT_POLICY)
    data.update(changes)
    return data


def test_the_default_policy_is_designs_table(client, admin) -> None:
    current = client.get(f"{URL}/current", headers=admin).json
    assert current["version"] == 1
    table = {
        t["tier"]: tuple(
            t[k]["value"]
            for k in (
                "daily_cap_minutes",
                "continuous_limit_minutes",
                "break_minutes",
                "weekly_cap_minutes",
                "max_consecutive_days",
                "cooldown_hours",
            )
        )
        for t in current["tiers"]
    }
    assert table == {
        3: (240, 60, 15, 960, 4, 48),
        2: (360, 90, 15, 1440, 5, 24),
        1: (480, 120, 10, None, None, None),
    }
    assert current["planned_rotation"]["after_consecutive_weeks"]["value"] == 4
    assert current["planned_rotation"]["weeks_off"]["value"] == 1
    assert current["checkin"]["interval_days"]["value"] == 14
    notes = [t[k]["note"] for t in current["tiers"] for k in t if k != "tier"]
    assert all(notes)
    assert "2018" in current["tiers"][0]["daily_cap_minutes"]["note"]


def test_the_migration_seeds_the_same_default(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"DATABASE_URL": url})
    upgrade(app)
    db.get_db(app).dispose()
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT version, name, tiers, planned_rotation, checkin FROM exposure_policies")
        ).one()
    engine.dispose()
    import json

    assert row.version == 1
    assert row.name == DEFAULT_POLICY["name"]
    assert json.loads(row.tiers) == DEFAULT_POLICY["tiers"]
    assert json.loads(row.planned_rotation) == DEFAULT_POLICY["planned_rotation"]
    assert json.loads(row.checkin) == DEFAULT_POLICY["checkin"]


def test_each_modality_weighs_one_by_default_citing_the_studies(client, admin, ops) -> None:
    current = client.get(f"{URL}/current", headers=admin).json
    weights = current["modality_weights"]
    assert {m: w["value"] for m, w in weights.items()} == dict.fromkeys(MODALITIES, 1.0)
    for w in weights.values():
        assert "Das, Dang and Lease (HCOMP 2020)" in w["note"]
        assert "Lewitzka et al. (Psychological Research 2026)" in w["note"]
    # a version that gives one weight keeps the default (and its note) for the others
    data = body(name="Video weighed")
    data["modality_weights"] = {"video": {"value": 0.5, "note": "our own study, 2026"}}
    created = client.post(URL, json=data, headers=ops)
    assert created.status_code == 201, created.json
    stored = created.json["modality_weights"]
    assert stored["video"] == {"value": 0.5, "note": "our own study, 2026"}
    assert stored["text"] == DEFAULT_POLICY["modality_weights"]["text"]


def test_a_new_version_takes_effect_at_its_instant(client, app, admin, ops) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
    data = body(name="Stricter egregious cap", effective_from=soon.isoformat())
    data["tiers"][0]["daily_cap_minutes"] = {"value": 180, "note": "client contract, 2026"}
    created = client.post(URL, json=data, headers=ops)
    assert created.status_code == 201, created.json
    assert created.json["version"] == 2
    assert client.get(f"{URL}/current", headers=admin).json["version"] == 1
    later = client.get(f"{URL}/current", query_string={"at": soon.isoformat()}, headers=admin)
    assert later.json["version"] == 2
    assert later.json["tiers"][0]["daily_cap_minutes"]["value"] == 180
    listed = client.get(URL, headers=as_compliance(client, admin)).json
    assert [p["version"] for p in listed["items"]] == [1, 2]
    assert (
        client.get(f"{URL}/1", headers=admin).json["tiers"][0]["daily_cap_minutes"]["value"] == 240
    )
    assert client.get(f"{URL}/9", headers=admin).status_code == 404
    audit = client.get("/api/v1/audit-events?action=exposure_policy.create", headers=admin).json
    assert any(e["action"] == "exposure_policy.create" for e in audit["items"])


def as_compliance(client, admin) -> dict:
    token = client.post(
        "/api/v1/tokens", json={"name": "c", "role": "compliance"}, headers=admin
    ).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_versions_cannot_go_back_in_time(client, admin) -> None:
    past = body(effective_from="2020-01-01T00:00:00Z")
    answer = client.post(URL, json=past, headers=admin)
    assert answer.status_code == 422
    assert "effective_from" in answer.json["errors"]
    far = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    near = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    assert client.post(URL, json=body(effective_from=far), headers=admin).status_code == 201
    conflict = client.post(URL, json=body(effective_from=near), headers=admin)
    assert conflict.status_code == 409
    assert conflict.json["code"] == "policy_out_of_order"
    # the same instant supersedes the scheduled version
    same = client.post(URL, json=body(effective_from=far, name="fix"), headers=admin)
    assert same.status_code == 201
    current = client.get(f"{URL}/current", query_string={"at": far}, headers=admin).json
    assert current["name"] == "fix"


def _drop_note(d):
    d["tiers"][1]["break_minutes"] = {"value": 15}


def _blank_note(d):
    d["tiers"][0]["cooldown_hours"]["note"] = " "


def _two_line_note(d):
    d["tiers"][0]["cooldown_hours"]["note"] = "first line\nsecond line"


def _two_threes(d):
    d["tiers"][1]["tier"] = 3


def _break_without_limit(d):
    d["tiers"][2]["continuous_limit_minutes"] = {"value": None, "note": "none"}


def _out_of_range(d):
    d["tiers"][0]["daily_cap_minutes"]["value"] = 5000


def _null_required(d):
    d["checkin"]["interval_days"]["value"] = None


def _weight_out_of_range(d):
    d["modality_weights"] = {"live": {"value": 11, "note": "x"}}


def _weight_of_an_unknown_modality(d):
    d["modality_weights"] = {"smell": {"value": 1, "note": "x"}}


def _weight_without_note(d):
    d["modality_weights"] = {"image": {"value": 0.5}}


@pytest.mark.parametrize(
    "spoil",
    [
        _drop_note,
        _blank_note,
        _two_line_note,
        _two_threes,
        _break_without_limit,
        _out_of_range,
        _null_required,
        _weight_out_of_range,
        _weight_of_an_unknown_modality,
        _weight_without_note,
    ],
)
def test_invalid_policies(client, admin, spoil) -> None:
    data = body()
    spoil(data)
    answer = client.post(URL, json=data, headers=admin)
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"]


@pytest.mark.parametrize("role", ["compliance", "wellbeing", "ingest"])
def test_who_may_create(client, as_role, role) -> None:
    assert client.post(URL, json=body(), headers=as_role(role)).status_code == 403


@pytest.mark.parametrize("role", ["ingest", "contractor"])
def test_who_may_read(client, as_role, new_contractor, role) -> None:
    cid = new_contractor() if role == "contractor" else None
    assert client.get(f"{URL}/current", headers=as_role(role, cid)).status_code == 403


def test_eligibility_follows_the_version_in_force(app, client, new_contractor, ops) -> None:
    make_queues(app)
    cid = new_contractor(country="KE")
    consent(app, cid)
    token = ingest_token(app)
    now = dt.datetime.now(dt.UTC)
    ingest_now(app, token, [event("e", cid, now - dt.timedelta(minutes=40), 30 * 60)], now)
    url = f"/api/v1/contractors/{cid}/eligibility?queue=gore"
    assert client.get(url, headers=ops).json["eligible"] is True
    strict = body()
    strict["tiers"][0]["daily_cap_minutes"] = {"value": 20, "note": "test"}
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, strict, now=now - dt.timedelta(seconds=30))
    answer = client.get(url, headers=ops).json
    # 30 minutes today unless local midnight fell within the last 40 minutes
    assert answer["reasons"] == ["daily_limit"] or answer["remaining_minutes_today"] == 20
    assert answer["details"]["exposure"]["policy_version"] == 2
