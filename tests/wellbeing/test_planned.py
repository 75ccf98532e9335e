"""Planned rotations: after the policy's run of local weeks with tier-3 work, the next week
off tiers 2-3 is planned ahead of time, shifts move then, once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import empty_tables
from tests.factories import make_contractor, make_shift
from tests.wellbeing.exposure_helpers import consent, event, ingest_now, ingest_token, make_queues
from workforce import db
from workforce.contractors.models import Contractor
from workforce.eligibility import check as eligibility
from workforce.exposure.policy import DEFAULT_POLICY, create_policy
from workforce.jobs.definitions import all_jobs
from workforce.jobs.models import JobRun
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification
from workforce.queues.models import Queue
from workforce.rotations.models import Rotation
from workforce.rotations.planned import plan_rotations
from workforce.rotations.services import end_rotation
from workforce.shifts.models import Shift

API = "/api/v1"
NAIROBI = ZoneInfo("Africa/Nairobi")
# Wednesday 2026-03-18, 13:00 in Nairobi (UTC+3); its ISO week starts Monday 2026-03-16.
NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 3, 16)
NEXT_MONDAY_UTC = dt.datetime(2026, 3, 22, 21, 0, tzinfo=dt.UTC)  # 00:00 in Nairobi


def at(day: dt.date, hour: int = 10, zone: ZoneInfo = NAIROBI) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), zone).astimezone(dt.UTC)


def queues(app) -> dict[str, int]:
    make_queues(app)
    with db.transaction(app) as session:
        ids = dict(session.execute(select(Queue.slug, Queue.id)).tuples().all())
        gore = session.get(Queue, ids["gore"])
        assert gore is not None
        gore.fallback_queue_id = ids["safe"]
    return ids


def worked(app, token: int, cid: int, mondays: list[dt.date], zone: ZoneInfo = NAIROBI) -> None:
    """An hour of tier-3 work on the Tuesday of each week, ingested as the platform would."""
    events = [
        event(f"w{cid}-{m.isoformat()}", cid, at(m + dt.timedelta(days=1), 10, zone), 3600)
        for m in mondays
    ]
    ingest_now(app, token, events, NOW)


def run(app, now: dt.datetime = NOW) -> dict[str, int]:
    job = next(job for job in all_jobs(app.config) if job.id == "planned-rotations")
    with app.test_request_context():
        result = run_job(app, job, now)
    assert result.ran
    return result.effects


def planned(app, cid: int | None = None) -> list[Rotation]:
    with db.get_db(app).reader() as session:
        stmt = select(Rotation).where(Rotation.reason == "planned").order_by(Rotation.id)
        if cid is not None:
            stmt = stmt.where(Rotation.contractor_id == cid)
        return list(session.scalars(stmt))


def weeks_back(n: int, last: dt.date = MONDAY) -> list[dt.date]:
    return [last - dt.timedelta(weeks=k) for k in range(n)]


def test_four_weeks_plan_next_week_ahead_and_move_its_shifts_once(app, new_contractor) -> None:
    ids = queues(app)
    cid = new_contractor(country="KE")
    consent(app, cid)
    token = ingest_token(app)
    worked(app, token, cid, weeks_back(4))
    next_week = MONDAY + dt.timedelta(weeks=1)
    gore = make_shift(app, cid, ids["gore"], at(next_week + dt.timedelta(days=1)))
    hate = make_shift(app, cid, ids["hate"], at(next_week + dt.timedelta(days=2)))
    spam = make_shift(app, cid, ids["spam"], at(next_week + dt.timedelta(days=3)))
    later = make_shift(app, cid, ids["gore"], at(next_week + dt.timedelta(weeks=1, days=1)))

    first = run(app)
    assert first == {"candidates": 1, "rotations": 1, "shifts_reassigned": 1, "shifts_cancelled": 1}
    assert run(app)["rotations"] == 0  # a rerun creates nothing twice
    assert run(app, NOW + dt.timedelta(days=2))["rotations"] == 0  # nor the next days' runs

    (rotation,) = planned(app)
    assert rotation.status == "active"
    assert rotation.started_at == NEXT_MONDAY_UTC
    assert rotation.ends_at == NEXT_MONDAY_UTC + dt.timedelta(weeks=1)
    assert (rotation.shifts_reassigned, rotation.shifts_cancelled) == (1, 1)
    assert rotation.explanation == {
        "rule": "planned",
        "tier": 3,
        "policy_version": 1,
        "measured": 4,
        "limit": 4,
        "unit": "weeks",
        "window": {"from": "2026-02-23", "to": "2026-03-22", "timezone": "Africa/Nairobi"},
        "weeks_off": 1,
        "off_from_tier": 2,
        "breach_key": "planned:2026-03-23",
    }
    with db.get_db(app).reader() as session:
        rows = [session.get(Shift, i) for i in (gore, hate, spam, later)]
        assert [(r.queue_id, r.status, r.needs_cover) for r in rows if r is not None] == [
            (ids["safe"], "scheduled", False),  # moved to the fallback
            (ids["hate"], "cancelled", True),  # no fallback: ops must cover it
            (ids["spam"], "scheduled", False),  # tier 1 is not rotated
            (ids["gore"], "scheduled", False),  # the week after the week off
        ]
        kinds = [n.kind for n in session.scalars(select(Notification))]
        assert kinds.count("rotation.started") == 1 and kinds.count("rotation.planned") == 1
        assert kinds.count("shift.reassigned") == 2 and kinds.count("shift.cancelled") == 2
        contractor = session.get(Contractor, cid)
        hate_queue = session.get(Queue, ids["hate"])
        assert contractor is not None and hate_queue is not None
        # eligible this week, not next week
        assert (
            "rotation_active" not in eligibility.check(session, contractor, hate_queue, NOW).reasons
        )
        inside = eligibility.check(session, contractor, hate_queue, NEXT_MONDAY_UTC)
        assert "rotation_active" in inside.reasons
        runs = session.scalars(select(JobRun).where(JobRun.job_id == "planned-rotations")).all()
        assert len(runs) == 3 and all(r.succeeded for r in runs)


def test_three_weeks_wait_and_a_scheduled_shift_makes_this_week_count(app, new_contractor) -> None:
    ids = queues(app)
    cid = new_contractor(country="KE")
    consent(app, cid)
    token = ingest_token(app)
    worked(app, token, cid, weeks_back(3, MONDAY - dt.timedelta(weeks=1)))  # not this week
    # a tier-2 shift and a cancelled tier-3 shift this week are not tier-3 work
    make_shift(app, cid, ids["hate"], at(MONDAY + dt.timedelta(days=4)))
    make_shift(app, cid, ids["gore"], at(MONDAY + dt.timedelta(days=4)), status="cancelled")
    assert run(app)["rotations"] == 0
    make_shift(app, cid, ids["gore"], at(MONDAY + dt.timedelta(days=5)))  # Saturday, still planned
    assert run(app)["rotations"] == 1
    (rotation,) = planned(app)
    assert rotation.started_at == NEXT_MONDAY_UTC


def test_a_missed_run_catches_up_with_the_rest_of_this_week(app, new_contractor) -> None:
    queues(app)
    cid = new_contractor(country="KE")
    consent(app, cid)
    worked(app, ingest_token(app), cid, weeks_back(4, MONDAY - dt.timedelta(weeks=1)))
    assert run(app)["rotations"] == 1
    (rotation,) = planned(app)
    assert rotation.started_at == NOW and rotation.ends_at == NEXT_MONDAY_UTC
    assert rotation.explanation["breach_key"] == "planned:2026-03-16"
    assert rotation.explanation["window"]["to"] == "2026-03-15"


def test_an_ended_plan_stays_decided_and_offboarded_are_skipped(
    app, client, ops, new_contractor
) -> None:
    queues(app)
    cid, gone = new_contractor(country="KE"), new_contractor(country="KE")
    token = ingest_token(app)
    for who in (cid, gone):
        consent(app, who)
        worked(app, token, who, weeks_back(4))
    client.post(f"{API}/contractors/{gone}/offboard", json={"reason": "left"}, headers=ops)
    assert run(app)["rotations"] == 1
    (rotation,) = planned(app)
    assert rotation.contractor_id == cid
    with app.test_request_context(), db.transaction(app) as session:
        assert end_rotation(session, rotation.id, "ops re-planned", now=NOW).status == "ended"
    assert run(app)["rotations"] == 0


def test_the_policy_in_force_sets_the_weeks_and_its_version_is_cited(app, new_contractor) -> None:
    queues(app)
    cid = new_contractor(country="KE")
    consent(app, cid)
    worked(app, ingest_token(app), cid, weeks_back(2))
    assert run(app)["rotations"] == 0
    body = {**DEFAULT_POLICY, "effective_from": NOW - dt.timedelta(seconds=1)}
    body["planned_rotation"] = {
        **DEFAULT_POLICY["planned_rotation"],
        "after_consecutive_weeks": {"value": 2, "note": "test"},
        "weeks_off": {"value": 2, "note": "test"},
    }
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, body, now=NOW - dt.timedelta(seconds=1))
    assert run(app)["rotations"] == 1
    (rotation,) = planned(app)
    assert rotation.explanation["policy_version"] == 2
    assert (rotation.explanation["measured"], rotation.explanation["limit"]) == (2, 2)
    assert rotation.ends_at == NEXT_MONDAY_UTC + dt.timedelta(weeks=2)


def test_me_rotations_explain_a_planned_week_in_my_language(
    app, client, as_role, new_contractor
) -> None:
    queues(app)
    cid = new_contractor(country="KE", locale="sw_KE")
    consent(app, cid)
    worked(app, ingest_token(app), cid, weeks_back(4))
    run(app)
    answer = client.get(f"{API}/me/rotations", headers=as_role("contractor", cid))
    assert answer.status_code == 200, answer.json
    (item,) = answer.json["items"]
    assert item["reason"] == "planned"
    assert item["summary"].startswith("Umefanya kazi wiki 4 mfululizo")
    assert "toleo la sera 1" in item["summary"]


# --- hypothesis: local ISO weeks in any zone ---------------------------------------------

ZONES = (
    "Pacific/Kiritimati",  # UTC+14: its Monday starts on Sunday in UTC
    "Pacific/Pago_Pago",  # UTC-11: its Sunday ends on Monday in UTC
    "Asia/Kolkata",
    "America/St_Johns",  # half-hour offset and DST
    "Europe/London",  # DST
    "Australia/Lord_Howe",  # half-hour DST shift
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone_name=st.sampled_from(ZONES),
    # per week back from this one (0 = this week): None, or (weekday, local hour) of work
    work=st.lists(
        st.one_of(st.none(), st.tuples(st.integers(0, 6), st.integers(0, 23))),
        min_size=6,
        max_size=6,
    ),
    by_shift=st.booleans(),
    now_offset=st.integers(0, 7 * 24 * 3600 - 1),
    start=st.dates(dt.date(2026, 2, 16), dt.date(2026, 12, 28)),
)
def test_weeks_are_counted_in_the_contractors_local_weeks(
    app, zone_name, work, by_shift, now_offset, start
) -> None:
    """Work placed on local wall-clock days, in weeks counted back from the week holding
    ``now`` in the contractor's zone: a rotation exactly when the oracle's streak says so."""
    empty_tables(app)
    zone = ZoneInfo(zone_name)
    this_monday = start - dt.timedelta(days=start.weekday())
    now = at(this_monday, 0, zone) + dt.timedelta(seconds=now_offset)
    now_monday = now.astimezone(zone).date() - dt.timedelta(days=now.astimezone(zone).weekday())
    ids = queues(app)
    cid = make_contractor(app, timezone=zone_name)
    consent(app, cid)
    token = ingest_token(app)
    weeks: set[dt.date] = set()
    events = []
    for back, slot in enumerate(work):
        if slot is None:
            continue
        monday = now_monday - dt.timedelta(weeks=back)
        day, hour = monday + dt.timedelta(days=slot[0]), slot[1]
        starts = at(day, hour, zone)
        local = starts.astimezone(zone).date()
        if by_shift and back == 0:
            make_shift(app, cid, ids["gore"], starts)  # planned work this week counts
        elif starts + dt.timedelta(minutes=30) <= now:
            events.append(event(f"e{back}", cid, starts, 1800))
        else:
            continue  # not worked yet
        weeks.add(local - dt.timedelta(days=local.weekday()))
    if events:
        ingest_now(app, token, events, now)
    # oracle: the streak of weeks ending this week, else last week
    last = now_monday if now_monday in weeks else now_monday - dt.timedelta(weeks=1)
    count = 0
    while last - dt.timedelta(weeks=count) in weeks:
        count += 1
    with app.test_request_context(), db.transaction(app) as session:
        made = plan_rotations(session, now)["rotations"]
    assert made == (1 if count >= 4 else 0)
    if made:
        (rotation,) = planned(app, cid)
        first_off = last + dt.timedelta(weeks=1)
        assert rotation.explanation["breach_key"] == f"planned:{first_off.isoformat()}"
        assert rotation.started_at.astimezone(zone).date() in (
            first_off,
            now.astimezone(zone).date(),
        )
        assert rotation.ends_at.astimezone(zone).date() == first_off + dt.timedelta(weeks=1)
        assert rotation.ends_at.astimezone(zone).time() == dt.time(0)
