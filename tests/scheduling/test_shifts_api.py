"""Shifts through the API: planning, the rules and their codes, overrides, open shifts and
claims, clock-in/out, corrections, the missed-shift job, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import post_queue
from tests.scheduling.conftest import API, iso, soon
from workforce import create_app, db
from workforce.audit import AuditEvent
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification
from workforce.scheduling.attendance import mark_missed_shifts
from workforce.shifts.models import Shift


def audit_rows(app, action: str) -> list[AuditEvent]:
    with db.get_db(app).reader() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def set_shift(app, shift_id: int, **values) -> None:
    with db.transaction(app) as session:
        shift = session.get(Shift, shift_id)
        for name, value in values.items():
            setattr(shift, name, value)


# --- planning ----------------------------------------------------------------------------


def test_plan_a_shift_read_it_and_list_it(app, client, ops, as_role, new_contractor, plan, queue):
    cid = new_contractor()
    nairobi = ZoneInfo("Africa/Nairobi")
    start = soon(4).astimezone(nairobi)
    created = plan(cid, start)
    assert created.status_code == 201, created.json
    shift = created.json
    assert shift["starts_at"] == iso(start.astimezone(dt.UTC))  # stored and sent in UTC
    assert shift["status"] == "scheduled"
    assert shift["sequence"] == 0
    assert client.get(f"{API}/shifts/{shift['id']}", headers=ops).json == shift
    listed = client.get(f"{API}/shifts?contractor_id={cid}", headers=as_role("compliance")).json
    assert [s["id"] for s in listed["items"]] == [shift["id"]]
    assert listed["total"] == 1
    window = {"from": iso(start + dt.timedelta(hours=9)), "to": iso(start + dt.timedelta(days=1))}
    assert client.get(f"{API}/shifts", query_string=window, headers=ops).json["total"] == 0
    window["from"] = iso(start + dt.timedelta(hours=7))
    assert client.get(f"{API}/shifts", query_string=window, headers=ops).json["total"] == 1
    open_only = client.get(f"{API}/shifts?open=true", headers=ops).json
    assert open_only["total"] == 0
    ancient = client.get(
        f"{API}/shifts", query_string={"from": "0001-01-01T00:00:00+01:00"}, headers=ops
    )
    assert ancient.status_code == 422
    assert "from" in ancient.json["errors"]
    (row,) = audit_rows(app, "shift.create")
    assert row.summary["contractor_id"] == cid


DROP = object()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": "2026-12-01T09:00:00"}, "starts_at"),
        ({"ends_at": "2026-12-01T17:00:00"}, "ends_at"),
        ({"ends_at": "2026-12-01T09:00:00Z"}, "ends_at"),
        ({"ends_at": "2026-12-01T08:00:00Z"}, "ends_at"),
        ({"ends_at": "2026-12-02T09:00:01Z"}, "ends_at"),
        ({"starts_at": "1999-12-01T09:00:00Z", "ends_at": "1999-12-01T17:00:00Z"}, "starts_at"),
        ({"starts_at": "not a time"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+01:00"}, "starts_at"),  # overflows in UTC
        ({"ends_at": "9999-12-31T23:00:00-05:00"}, "ends_at"),
        ({"starts_at": DROP}, "starts_at"),
        ({"queue_id": 9999}, "queue_id"),
        ({"contractor_id": 9999}, "contractor_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_shift_input_is_422(client, ops, new_contractor, queue, changes, field) -> None:
    body = {
        "contractor_id": new_contractor(),
        "queue_id": queue["id"],
        "starts_at": "2026-12-01T09:00:00Z",
        "ends_at": "2026-12-01T17:00:00Z",
    }
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not DROP}
    response = client.post(f"{API}/shifts", json=body, headers=ops)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]


# --- the rules ---------------------------------------------------------------------------


def test_each_rule_is_a_409_with_its_own_code(client, new_contractor, plan) -> None:
    cid = new_contractor()
    monday = soon(7)
    monday -= dt.timedelta(days=monday.astimezone(ZoneInfo("Africa/Nairobi")).weekday())
    assert plan(cid, monday).status_code == 201  # 09:00-17:00 UTC, Monday local

    overlap = plan(cid, monday + dt.timedelta(hours=4))
    assert overlap.status_code == 409
    assert overlap.json["code"] == "overlap"

    rest = plan(cid, monday + dt.timedelta(hours=8 + 10))  # 10 h after the first ends
    assert rest.status_code == 409
    assert rest.json["code"] == "rest_too_short"
    assert rest.json["limit"] == 11

    long = plan(cid, monday + dt.timedelta(days=2), hours=13)
    assert long.status_code == 409
    assert long.json["code"] == "shift_too_long"
    assert long.json["limit"] == 12

    for day in range(1, 6):  # 6 shifts of 8 h in the week: 48 h, at the limit
        assert plan(cid, monday + dt.timedelta(days=day)).status_code == 201
    weekly = plan(cid, monday + dt.timedelta(days=6), hours=1)
    assert weekly.status_code == 409
    assert weekly.json["code"] == "weekly_hours_exceeded"
    assert weekly.json["hours"] == "49.0"
    assert weekly.json["breaches"][0]["code"] == "weekly_hours_exceeded"


def test_not_eligible_carries_every_reason(client, ops, new_contractor, plan) -> None:
    cid = new_contractor()
    gated = post_queue(
        client, ops, slug="gore", tier=3, required_credentials=[{"kind": "license", "code": "RN"}]
    )
    response = plan(cid, soon(3), queue_id=gated["id"])
    assert response.status_code == 409
    assert response.json["code"] == "not_eligible"
    assert sorted(response.json["reasons"]) == ["missing_credential:RN", "no_consent"]
    # never overridable
    forced = plan(cid, soon(3), queue_id=gated["id"], override_reason="we are short-staffed")
    assert forced.json["code"] == "not_eligible"


def test_ops_override_hour_rules_with_a_reason_which_is_audited(app, new_contractor, plan):
    cid = new_contractor()
    start = soon(5)
    assert plan(cid, start).status_code == 201
    reason = "cover for a sick colleague, agreed with the contractor"
    overridden = plan(cid, start + dt.timedelta(hours=14), hours=13, override_reason=reason)
    assert overridden.status_code == 201, overridden.json
    assert overridden.json["override_reason"] == reason
    row = audit_rows(app, "shift.create")[-1]
    assert row.summary["overridden"] == ["rest_too_short", "shift_too_long"]
    assert row.summary["override_reason"] == reason
    # an overlap stays a conflict whatever the reason
    clash = plan(cid, start + dt.timedelta(hours=1), override_reason=reason)
    assert clash.status_code == 409
    assert clash.json["code"] == "overlap"
    # without a breach the reason is not recorded as an override
    calm = plan(cid, start + dt.timedelta(days=3), override_reason=reason)
    assert calm.json["override_reason"] is None


def test_limits_follow_the_contractor_country_and_configuration(app, new_contractor, plan):
    paris = new_contractor(country="FR")  # Code du travail: 10 h a day
    nairobi = new_contractor(country="KE")
    start = soon(3)
    french = plan(paris, start, hours=11)
    assert french.status_code == 409
    assert french.json["code"] == "shift_too_long"
    assert french.json["limit"] == 10
    assert plan(nairobi, start, hours=11).status_code == 201
    app.config["SHIFT_LIMITS"] = {"KE": {"max_shift_hours": 9}, "default": {"rest_hours": 12}}
    kenyan = plan(nairobi, start + dt.timedelta(days=2), hours=10)
    assert kenyan.json["code"] == "shift_too_long"
    assert kenyan.json["limit"] == 9
    rest = plan(nairobi, start + dt.timedelta(hours=11 + 11.5), hours=1)
    assert rest.json["code"] == "rest_too_short"
    assert rest.json["limit"] == 12


def test_bad_limit_settings_stop_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    for limits, problem in (
        ({"FR": {"weekly_hours": 500}}, "weekly_hours"),
        ({"France": {}}, "country"),
    ):
        with pytest.raises(SystemExit) as refused:
            create_app({"DATABASE_URL": "sqlite://", "SHIFT_LIMITS": limits})
        assert refused.value.code == 1
        [line] = capsys.readouterr().err.strip().splitlines()  # one line naming the variable
        assert "WORKFORCE_SHIFT_LIMITS" in line and problem in line


def kinds_told(client, as_role, contractor_id: int) -> list[str]:
    """The shift notices a contractor has been sent, oldest first (reading them takes a
    token, and a new token has its own notice)."""
    mine = client.get("/api/v1/me/notifications", headers=as_role("contractor", contractor_id))
    kinds = [item["kind"] for item in reversed(mine.json["items"])]
    return [kind for kind in kinds if kind.startswith("shift.")]


def test_update_reruns_the_rules_and_bumps_the_sequence(
    app, client, ops, as_role, new_contractor, plan
):
    cid, other = new_contractor(), new_contractor()
    start = soon(3)
    first = plan(cid, start).json
    second = plan(cid, start + dt.timedelta(days=1)).json
    moved = client.patch(
        f"{API}/shifts/{second['id']}",
        json={
            "starts_at": iso(start + dt.timedelta(hours=2)),
            "ends_at": iso(start + dt.timedelta(hours=10)),
        },
        headers=ops,
    )
    assert moved.status_code == 409
    assert moved.json["code"] == "overlap"
    assert moved.json["other_shift_id"] == first["id"]
    # moving a shift within itself is no overlap with its old self
    later = client.patch(
        f"{API}/shifts/{first['id']}",
        json={
            "starts_at": iso(start + dt.timedelta(hours=1)),
            "ends_at": iso(start + dt.timedelta(hours=9)),
        },
        headers=ops,
    )
    assert later.status_code == 200, later.json
    assert later.json["sequence"] == 1
    reassigned = client.patch(
        f"{API}/shifts/{first['id']}", json={"contractor_id": other}, headers=ops
    )
    assert reassigned.json["contractor_id"] == other
    assert reassigned.json["sequence"] == 2
    # both the one who held it and the one who holds it now are told (by email too)
    assert kinds_told(client, as_role, cid) == ["shift.changed", "shift.changed"]
    assert kinds_told(client, as_role, other) == ["shift.changed"]
    opened = client.patch(f"{API}/shifts/{first['id']}", json={"contractor_id": None}, headers=ops)
    assert opened.json["contractor_id"] is None
    same = client.patch(f"{API}/shifts/{first['id']}", json={"contractor_id": None}, headers=ops)
    assert same.json["sequence"] == 3  # nothing changed, nothing bumped
    assert client.patch(f"{API}/shifts/999999", json={}, headers=ops).status_code == 404
    naive = client.patch(
        f"{API}/shifts/{first['id']}", json={"starts_at": "2026-12-01T10:00:00"}, headers=ops
    )
    assert naive.status_code == 422


def test_cancel_frees_the_time_and_cannot_repeat(
    app, client, ops, as_role, new_contractor, plan
) -> None:
    cid = new_contractor()
    start = soon(3)
    shift = plan(cid, start).json
    cancelled = client.post(
        f"{API}/shifts/{shift['id']}/cancel", json={"reason": "queue paused"}, headers=ops
    )
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancel_reason"] == "queue paused"
    assert cancelled.json["sequence"] == 1
    assert kinds_told(client, as_role, cid) == ["shift.cancelled"]
    again = client.post(f"{API}/shifts/{shift['id']}/cancel", headers=ops)
    assert again.status_code == 409
    edit = client.patch(f"{API}/shifts/{shift['id']}", json={"contractor_id": None}, headers=ops)
    assert edit.json["code"] == "shift_not_editable"
    assert plan(cid, start).status_code == 201  # the cancelled one no longer counts


# --- weekly patterns ---------------------------------------------------------------------


def pattern(client, ops, cid, queue, **fields):
    body = {
        "contractor_id": cid,
        "queue_id": queue["id"],
        "days_of_week": [0, 1, 2, 3, 4],
        "local_start": "09:00",
        "duration_minutes": 480,
        "from": "2027-03-01",
        "until": "2027-03-21",
        **fields,
    }
    return client.post(f"{API}/shift-patterns", json=body, headers=ops)


def test_weekly_pattern_keeps_local_time_across_dst(client, ops, new_contractor, queue) -> None:
    cid = new_contractor(country="US", timezone="America/New_York")
    created = pattern(client, ops, cid, queue)  # the US changes clocks on 14 March 2027
    assert created.status_code == 201, created.json
    shifts = created.json["shifts"]
    assert len(shifts) == 15
    assert created.json["timezone"] == "America/New_York"
    assert created.json["local_start"] == "09:00"
    starts = {s["starts_at"][:10]: s["starts_at"][11:16] for s in shifts}
    assert starts["2027-03-12"] == "14:00"  # 09:00 EST
    assert starts["2027-03-15"] == "13:00"  # 09:00 EDT
    assert {s["pattern_id"] for s in shifts} == {created.json["id"]}
    for s in shifts:
        start = dt.datetime.fromisoformat(s["starts_at"])
        assert dt.datetime.fromisoformat(s["ends_at"]) - start == dt.timedelta(hours=8)
        assert start.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "09:00"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"days_of_week": []}, "days_of_week"),
        ({"days_of_week": [7]}, "days_of_week"),
        ({"days_of_week": [1, 1]}, "days_of_week"),
        ({"from": "2027-01-01", "until": "2028-01-02"}, "until"),
        ({"until": "2027-02-01"}, "until"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"local_start": "25:00"}, "local_start"),
        ({"local_start": "09:00+03:00"}, "local_start"),
        ({"from": "0001-01-01"}, "from"),
        ({"days_of_week": [6], "from": "2027-03-01", "until": "2027-03-05"}, "days_of_week"),
        ({"queue_id": 424242}, "queue_id"),
    ],
)
def test_bad_patterns_are_422(client, ops, new_contractor, queue, fields, field) -> None:
    response = pattern(client, ops, new_contractor(), queue, **fields)
    assert response.status_code == 422, response.json
    assert any(key.split(".")[0] == field for key in response.json["errors"]), response.json


def test_a_pattern_is_planned_whole_or_not_at_all(client, ops, new_contractor, queue, plan):
    cid = new_contractor()
    clash = dt.datetime(2027, 3, 10, 8, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    assert plan(cid, clash, hours=2).status_code == 201
    response = pattern(client, ops, cid, queue)
    assert response.status_code == 409
    assert response.json["code"] == "overlap"
    assert response.json["starts_at"] == "2027-03-10T06:00:00+00:00"
    assert client.get(f"{API}/shifts?contractor_id={cid}", headers=ops).json["total"] == 1
    # a year of Mondays to Saturdays of 9 h is over 48 h a week: ops may override
    heavy = {"days_of_week": [0, 1, 2, 3, 4, 5], "duration_minutes": 540, "from": "2027-04-05"}
    refused = pattern(client, ops, cid, queue, **heavy, until="2028-04-02")
    assert refused.json["code"] == "weekly_hours_exceeded"
    allowed = pattern(
        client, ops, cid, queue, **heavy, until="2028-04-02", override_reason="peak season"
    )
    assert allowed.status_code == 201, allowed.json
    assert len(allowed.json["shifts"]) == 312
    assert allowed.json["override_reason"] == "peak season"


# --- open shifts and claims ----------------------------------------------------------------


def test_open_shifts_are_claimed_by_eligible_contractors(
    app, client, ops, as_role, new_contractor, plan
) -> None:
    alice, bob = new_contractor(), new_contractor()
    open_shift = plan(None, soon(3)).json
    assert open_shift["contractor_id"] is None
    alice_h, bob_h = as_role("contractor", alice), as_role("contractor", bob)
    listed = client.get(f"{API}/me/open-shifts", headers=alice_h).json
    assert [s["id"] for s in listed["items"]] == [open_shift["id"]]
    # a contractor token cannot read an open shift directly; only through the list
    assert client.get(f"{API}/shifts/{open_shift['id']}", headers=alice_h).status_code == 404
    won = client.post(f"{API}/shifts/{open_shift['id']}/claim", headers=alice_h)
    assert won.status_code == 200, won.json
    assert won.json["contractor_id"] == alice
    assert won.json["sequence"] == 1
    lost = client.post(f"{API}/shifts/{open_shift['id']}/claim", headers=bob_h)
    assert lost.status_code == 409
    assert lost.json["code"] == "shift_taken"
    assert client.get(f"{API}/me/open-shifts", headers=bob_h).json["total"] == 0
    assert audit_rows(app, "shift.claim")[0].summary == {"contractor_id": alice}


def test_claims_run_eligibility_and_the_rules(client, ops, as_role, new_contractor, plan):
    cid = new_contractor()
    me = as_role("contractor", cid)
    start = soon(3)
    assert plan(cid, start).status_code == 201
    clash = plan(None, start + dt.timedelta(hours=2)).json
    refused = client.post(f"{API}/shifts/{clash['id']}/claim", headers=me)
    assert refused.status_code == 409
    assert refused.json["code"] == "overlap"
    sensitive = post_queue(client, ops, slug="hate", tier=1, categories=["hate_extremism"])
    gated = plan(None, start + dt.timedelta(days=2), queue_id=sensitive["id"]).json
    assert client.get(f"{API}/me/open-shifts", headers=me).json["total"] == 1  # only `clash`
    no = client.post(f"{API}/shifts/{gated['id']}/claim", headers=me)
    assert no.json["code"] == "not_eligible"
    assert no.json["reasons"] == ["no_consent"]
    past = plan(None, db.utcnow() - dt.timedelta(hours=1)).json
    late = client.post(f"{API}/shifts/{past['id']}/claim", headers=me)
    assert late.status_code == 409
    assert late.json["code"] == "shift_started"
    client.post(f"{API}/shifts/{clash['id']}/cancel", headers=ops)
    gone = client.post(f"{API}/shifts/{clash['id']}/claim", headers=me)
    assert gone.json["code"] == "shift_not_open"
    assert client.post(f"{API}/shifts/999999/claim", headers=me).status_code == 404


# --- actuals ----------------------------------------------------------------------------------


def test_clock_in_and_out(app, client, ops, as_role, new_contractor, plan) -> None:
    cid, other = new_contractor(), new_contractor()
    me = as_role("contractor", cid)
    shift = plan(cid, db.utcnow() - dt.timedelta(minutes=5)).json
    url = f"{API}/shifts/{shift['id']}"
    early = client.post(f"{url}/clock-out", headers=me)
    assert early.status_code == 409
    assert early.json["code"] == "not_clocked_in"
    assert client.post(f"{url}/clock-in", headers=as_role("contractor", other)).status_code == 404
    assert client.get(url, headers=as_role("contractor", other)).status_code == 404
    started = client.post(f"{url}/clock-in", headers=me)
    assert started.status_code == 200, started.json
    assert started.json["status"] == "in_progress"
    assert started.json["clock_in_at"] is not None
    assert client.post(f"{url}/clock-in", headers=me).json["code"] == "already_clocked_in"
    done = client.post(f"{url}/clock-out", headers=me)
    assert done.json["status"] == "completed"
    clocked = [dt.datetime.fromisoformat(done.json[k]) for k in ("clock_in_at", "clock_out_at")]
    assert clocked[0] < clocked[1]
    assert client.get(url, headers=me).json["status"] == "completed"
    (row,) = audit_rows(app, "shift.clock_in")
    assert row.summary["on_behalf"] is False
    assert row.actor_role == "contractor"


def test_ops_clock_in_on_behalf_and_windows(app, client, ops, new_contractor, plan) -> None:
    cid = new_contractor()
    tomorrow = plan(cid, soon(2)).json
    too_early = client.post(f"{API}/shifts/{tomorrow['id']}/clock-in", headers=ops)
    assert too_early.status_code == 409
    assert too_early.json["code"] == "clock_in_too_early"
    now = plan(cid, db.utcnow() - dt.timedelta(minutes=50), hours=1).json
    client.post(f"{API}/shifts/{now['id']}/clock-in", headers=ops)
    client.post(f"{API}/shifts/{now['id']}/clock-out", headers=ops)
    rows = audit_rows(app, "shift.clock_in") + audit_rows(app, "shift.clock_out")
    assert [r.summary["on_behalf"] for r in rows] == [True, True]
    assert rows[0].summary["late_minutes"] == 50
    over = plan(new_contractor(), db.utcnow() - dt.timedelta(hours=12), hours=1).json
    assert (
        client.post(f"{API}/shifts/{over['id']}/clock-in", headers=ops).json["code"] == "shift_over"
    )
    unassigned = plan(None, db.utcnow() - dt.timedelta(hours=30)).json
    response = client.post(f"{API}/shifts/{unassigned['id']}/clock-in", headers=ops)
    assert response.json["code"] == "shift_unassigned"


def test_ops_correct_recorded_times_with_a_reason(app, client, ops, new_contractor, plan):
    cid = new_contractor()
    start = db.utcnow().replace(microsecond=0) - dt.timedelta(hours=30)
    shift = plan(cid, start).json
    url = f"{API}/shifts/{shift['id']}/correct"
    assert client.post(url, json={"clock_in_at": iso(start)}, headers=ops).status_code == 422
    backwards = {"clock_in_at": iso(start), "clock_out_at": iso(start), "reason": "x"}
    assert client.post(url, json=backwards, headers=ops).json["errors"].keys() == {"clock_out_at"}
    future = {"clock_in_at": iso(db.utcnow() + dt.timedelta(hours=1)), "reason": "x"}
    assert "clock_in_at" in client.post(url, json=future, headers=ops).json["errors"]
    naive = {"clock_in_at": "2026-01-01T09:00:00", "reason": "x"}
    assert client.post(url, json=naive, headers=ops).status_code == 422
    body = {
        "clock_in_at": iso(start + dt.timedelta(minutes=7)),
        "clock_out_at": iso(start + dt.timedelta(hours=8)),
        "reason": "badge reader was down; times from the floor log",
    }
    corrected = client.post(url, json=body, headers=ops)
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["status"] == "completed"
    assert corrected.json["correction_reason"] == body["reason"]
    (row,) = audit_rows(app, "shift.correct")
    assert row.summary["before"] == {
        "clock_in_at": None,
        "clock_out_at": None,
        "status": "scheduled",
    }
    assert row.summary["after"]["status"] == "completed"
    reopened = client.post(url, json={"clock_out_at": None, "reason": "left early"}, headers=ops)
    assert reopened.json["status"] == "in_progress"


def test_missed_shift_job(app, client, ops, as_role, new_contractor, plan) -> None:
    assert "missed-shifts" in {job.id for job in all_jobs(app.config)}
    cid = new_contractor()
    now = db.utcnow()
    missed = plan(cid, now - dt.timedelta(minutes=40)).json
    future = plan(cid, now + dt.timedelta(hours=19)).json
    in_grace = plan(new_contractor(), now - dt.timedelta(minutes=20)).json
    unassigned = plan(None, now - dt.timedelta(hours=2)).json
    job = next(job for job in all_jobs(app.config) if job.id == "missed-shifts")
    first = run_job(app, job)
    assert first.effects == {"missed": 1}
    assert run_job(app, job).effects == {"missed": 0}  # idempotent
    status = {
        s["id"]: s["status"]
        for s in client.get(f"{API}/shifts?page_size=10", headers=ops).json["items"]
    }
    assert status == {
        missed["id"]: "missed",
        future["id"]: "scheduled",
        in_grace["id"]: "scheduled",
        unassigned["id"]: "scheduled",
    }
    with db.get_db(app).reader() as session:
        notices = list(session.scalars(select(Notification)))
    assert [(n.kind, n.audience, n.payload["shift_id"]) for n in notices] == [
        ("shift.missed", "ops", missed["id"])
    ]
    # a late start before the end still counts: missed -> in_progress
    late = client.post(f"{API}/shifts/{missed['id']}/clock-in", headers=as_role("contractor", cid))
    assert late.json["status"] == "in_progress"
    with db.transaction(app) as session:
        assert mark_missed_shifts(session, now + dt.timedelta(days=1)) == {"missed": 2}
