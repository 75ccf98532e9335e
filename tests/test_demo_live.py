"""The living demo of ``make run`` (issue 21): ``flask seed-demo --live`` makes the promised
world, and the simulated platform, against a live server, makes a break fall due, the sweep
rotate someone with an explanation and move their shift to a fallback queue, while the
exposure report by country has unsuppressed rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import make_queue
from tests.faults.helpers import gunicorn
from workforce import db
from workforce.contractors.services import set_consent
from workforce.demo import live, seed
from workforce.demo.platform import Platform
from workforce.errors import InvalidInput


def _period() -> str:
    today = dt.datetime.now(dt.UTC).date()
    return f"from={today - dt.timedelta(days=15)}&to={today + dt.timedelta(days=1)}"


def _unsuppressed(client: FlaskClient, headers: dict[str, str], url: str) -> list[dict[str, Any]]:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.json
    return [row for row in answer.json["rows"] if not row["suppressed"]]


def test_seed_live_makes_the_promised_world_once(
    app: Flask, client: FlaskClient, admin: dict[str, str], as_role: Callable[..., Any]
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--live"])
    assert result.exit_code == 0, result.output
    assert "[7/7] wellbeing check-ins ..." in result.output  # progress, step by step
    people = client.get("/api/v1/contractors?search=demo-live&page_size=500", headers=admin).json
    assert people["total"] == 60
    items = people["items"]
    assert all("(demo)" in c["full_name"] and "demo" in c["email"] for c in items)
    assert {c["country"] for c in items} == {"KE", "PH", "IN", "CO", "US"}
    us_zones = {c["timezone"] for c in items if c["country"] == "US"}
    assert len(us_zones) == 3
    assert "20 of them experts (RN, PhD, JD)" in result.output
    queues = client.get("/api/v1/queues?page_size=500", headers=admin).json["items"]
    assert {q["tier"] for q in queues} == {0, 1, 2, 3}
    assert all(q["fallback_queue_id"] for q in queues if q["tier"] >= 2)
    now = dt.datetime.now(dt.UTC)
    stamp = f"from={now:%Y-%m-%dT%H:%M:%SZ}&to={now + dt.timedelta(seconds=1):%Y-%m-%dT%H:%M:%SZ}"
    working = client.get(f"/api/v1/shifts?{stamp}&status=in_progress", headers=admin).json
    assert working["total"] == 40
    later = client.get("/api/v1/shifts?status=scheduled&page_size=1", headers=admin).json
    assert later["total"] >= 480  # this week and next
    compliance = as_role("compliance")
    by_country = _unsuppressed(
        client, compliance, f"/api/v1/reports/exposure?{_period()}&group_by=country"
    )
    assert {row["country"] for row in by_country} == {"KE", "PH", "IN", "CO", "US"}
    by_modality = _unsuppressed(
        client, compliance, f"/api/v1/reports/exposure?{_period()}&group_by=modality"
    )
    assert {row["modality"] for row in by_modality} == {"text", "image", "video"}
    pay = _unsuppressed(client, compliance, f"/api/v1/reports/pay?{_period()}")
    assert {row["country"] for row in pay} == {"KE", "PH", "IN", "CO", "US"}
    # The worsening check-ins reach a counsellor, and only a counsellor.
    referrals = client.get("/api/v1/referrals", headers=as_role("wellbeing")).json["items"]
    assert [r["worsening"]["drop"] for r in referrals] == [20]
    assert client.get("/api/v1/referrals", headers=as_role("ops")).status_code == 403
    assert "who5" not in result.output.lower()
    again = runner.invoke(args=["seed-demo", "--live"])
    assert again.exit_code == 0 and "living demo already present" in again.output
    assert client.get("/api/v1/contractors?search=demo-live", headers=admin).json["total"] == 60


def test_plain_seed_demo_stays_small(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/contractors", headers=admin).json["total"] == 6


@pytest.mark.slow
def test_the_platform_shows_a_break_a_rotation_and_a_moved_shift(
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    make_token: Callable[..., str],
    tmp_path: Path,
) -> None:
    # The world as `make run` seeds it, four minutes ago: the people near a break have been
    # working 57 minutes without one by then.
    world = live.World(now=db.utcnow() - dt.timedelta(minutes=4))
    with app.app_context(), db.transaction(app) as session:
        seed(session)
    for _, step in live.STEPS:
        with app.app_context(), db.transaction(app) as session:
            step(session, world)
    near = {p["id"]: p.get("near") for p in world.people if p.get("near")}
    lines: list[str] = []
    with gunicorn(app, tmp_path / "gunicorn.log") as port:
        platform = Platform(
            f"http://127.0.0.1:{port}",
            make_token("ingest"),
            make_token("ops"),
            speed=60,
            log=lines.append,
        )
        platform.run(interval=0.5, duration=6)
    assert platform.sent > 0
    held = dict(platform.held)
    breaks = [cid for cid, why in near.items() if why == "break_due"]
    capped = [cid for cid, why in near.items() if why == "weekly_limit"]
    assert all("break_due" in held.get(cid, []) for cid in breaks), (held, lines)
    assert all("weekly_limit" in held.get(cid, []) for cid in capped), (held, lines)
    verdict = client.get(
        f"/api/v1/contractors/{breaks[0]}/eligibility?queue="
        + next(p["queue"] for p in world.people if p["id"] == breaks[0]),
        headers=admin,
    ).json
    assert "break_due" in verdict["reasons"] and verdict["details"]["exposure"]

    swept = client.post("/api/v1/rotations/sweep", headers=admin)
    assert swept.status_code == 200, swept.json
    rotations = client.get("/api/v1/rotations", headers=admin).json["items"]
    rotated = {r["contractor_id"]: r for r in rotations}
    assert set(capped) <= set(rotated)
    for cid in capped:
        rotation = rotated[cid]
        assert rotation["reason"] == "weekly_limit"
        assert rotation["explanation"]["rule"] == "weekly_limit"
        assert rotation["explanation"]["limit"] == 960
        assert rotation["shifts_reassigned"] >= 1
        moved = client.get(
            f"/api/v1/shifts?contractor_id={cid}&status=scheduled&page_size=500", headers=admin
        ).json["items"]
        queues = {q["id"]: q for q in client.get("/api/v1/queues", headers=admin).json["items"]}
        inside = [
            s
            for s in moved
            if dt.datetime.fromisoformat(s["starts_at"])
            < dt.datetime.fromisoformat(rotation["ends_at"])
        ]
        assert inside and all(queues[s["queue_id"]]["tier"] == 0 for s in inside)
    by_country = client.get(
        f"/api/v1/reports/exposure?{_period()}&group_by=country", headers=admin
    ).json["rows"]
    assert sum(1 for row in by_country if not row["suppressed"]) == 5


@given(
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2030, 12, 31)).map(
        lambda moment: moment.replace(tzinfo=dt.UTC)
    )
)
def test_the_roster_always_has_its_near_cap_people_and_safe_history(now: dt.datetime) -> None:
    """Whatever the hour: two people near the weekly cap and two near a break, all distinct,
    on shift on tier 3; the history never holds three days in a row and stays under the
    caps."""
    people = live.roster(now)
    assert len(people) == 60
    near = [p for p in people if p.get("near")]
    assert sorted(p["near"] for p in near) == ["break_due"] * 2 + ["weekly_limit"] * 2
    who5 = [p for p in people if p.get("who5")]
    assert len(who5) == 1 and not who5[0].get("near")
    for p in [*near, *who5]:
        assert p["on_now"] and p["i"] in live.TIER3
    days = sorted(live.HISTORY_DAYS)
    assert not any(
        a + 1 == b and b + 1 == c for a, b, c in zip(days, days[1:], days[2:], strict=False)
    )
    assert all(d < 0 for d in days)
    heavy_daily = sum(minutes for _, minutes in live.HEAVY_BLOCKS)
    assert heavy_daily < 240 and heavy_daily * len(live.HEAVY_DAYS) < 960
    assert all(b[0] + b[1] + 15 <= a[0] for b, a in zip(live.BLOCKS, live.BLOCKS[1:], strict=False))
    assert live.NEAR_BREAK_MINUTES < 60


def test_consent_given_earlier_is_dated_then_and_never_in_the_future(
    app: Flask, client: FlaskClient, admin: dict[str, str], new_contractor: Callable[..., int]
) -> None:
    contractor = new_contractor()
    past = db.utcnow() - dt.timedelta(days=3)
    with app.app_context(), db.transaction(app) as session:
        with pytest.raises(InvalidInput) as refused:
            set_consent(session, contractor, True, given_at=db.utcnow() + dt.timedelta(hours=1))
        assert "given_at" in refused.value.errors
        set_consent(session, contractor, True, given_at=past)
    queue = make_queue(app, slug="sensitive", tier=1, categories=["other_disturbing"])
    at = (past + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    verdict = client.get(
        f"/api/v1/contractors/{contractor}/eligibility?queue=sensitive&at={at}", headers=admin
    ).json
    assert verdict["eligible"] is True, verdict
    assert queue
