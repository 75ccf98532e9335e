"""The rotation sweep: breaches become rotations once, shifts move, warnings at 80 %."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.wellbeing.exposure_helpers import consent, event, ingest_now, ingest_token, make_queues
from workforce import db
from workforce.contractors.models import Contractor
from workforce.eligibility import check as eligibility
from workforce.jobs.definitions import all_jobs
from workforce.jobs.models import JobRun
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification
from workforce.queues.models import Queue
from workforce.rotations.models import Rotation
from workforce.rotations.sweep import sweep
from workforce.scheduling import needs_cover
from workforce.scheduling import receivers as rotation_module
from workforce.scheduling.planning import create_shift
from workforce.shifts.models import Shift

# Nairobi, UTC+3: 17:00 local on 2026-03-20.
NOW = dt.datetime(2026, 3, 20, 14, 0, tzinfo=dt.UTC)
MORNING = dt.datetime(2026, 3, 19, 21, 0, tzinfo=dt.UTC)  # local midnight


def spread(cid: int, prefix: str, start: dt.datetime, minutes: int, queue: str = "gore"):
    events, n, cursor = [], 0, start
    while minutes > 0:
        length = min(20, minutes)
        events.append(event(f"{prefix}{n}", cid, cursor, length * 60, queue=queue))
        minutes -= length
        n += 1
        cursor += dt.timedelta(minutes=40)
    return events


@pytest.fixture
def setup(app, new_contractor):
    make_queues(app)
    with db.transaction(app) as session:
        gore = session.scalar(select(Queue).where(Queue.slug == "gore"))
        safe = session.scalar(select(Queue).where(Queue.slug == "safe"))
        assert gore is not None and safe is not None
        gore.fallback_queue_id = safe.id
    cid = new_contractor(country="KE")
    consent(app, cid)
    return cid, ingest_token(app)


def run_sweep(app, now: dt.datetime = NOW) -> dict[str, int]:
    with app.test_request_context(), db.transaction(app) as session:
        return sweep(session, now)


def rotations(app) -> list[Rotation]:
    with db.get_db(app).reader() as session:
        return list(session.scalars(select(Rotation).order_by(Rotation.id)))


def plan(app, cid: int, slug: str, starts_at: dt.datetime) -> int:
    with app.test_request_context(), db.transaction(app) as session:
        queue = session.scalar(select(Queue).where(Queue.slug == slug))
        assert queue is not None
        return create_shift(
            session,
            {
                "contractor_id": cid,
                "queue_id": queue.id,
                "starts_at": starts_at,
                "ends_at": starts_at + dt.timedelta(hours=4),
            },
        ).id


def test_daily_cap_rotates_once_with_an_explanation(app, setup) -> None:
    cid, token = setup
    ingest_now(app, token, spread(cid, "a", MORNING, 240), NOW)
    first = run_sweep(app)
    assert first["rotations"] == 1
    assert run_sweep(app)["rotations"] == 0  # twice: nothing twice
    assert run_sweep(app, NOW + dt.timedelta(minutes=5))["rotations"] == 0
    (rotation,) = rotations(app)
    assert rotation.reason == "daily_limit" and rotation.status == "active"
    assert rotation.ends_at == NOW + dt.timedelta(hours=48)
    assert rotation.breach_at is not None and rotation.breach_at <= NOW
    explanation = rotation.explanation
    assert explanation["rule"] == "daily_limit" and explanation["tier"] == 3
    assert explanation["measured"] == 240 and explanation["limit"] == 240
    assert explanation["policy_version"] == 1
    assert explanation["window"] == {
        "from": "2026-03-20",
        "to": "2026-03-20",
        "timezone": "Africa/Nairobi",
    }
    with db.get_db(app).reader() as session:
        contractor = session.get(Contractor, cid)
        hate = session.scalar(select(Queue).where(Queue.slug == "hate"))
        assert contractor is not None and hate is not None
        answer = eligibility.check(session, contractor, hate, NOW + dt.timedelta(hours=1))
        assert "rotation_active" in answer.reasons


def test_under_the_cap_warns_at_80_percent_once(app, setup) -> None:
    cid, token = setup
    ingest_now(app, token, spread(cid, "a", MORNING, 200), NOW)
    assert run_sweep(app) == {
        "candidates": 1,
        "rotations": 0,
        "warnings": 1,
        "shifts_reassigned": 0,
        "shifts_cancelled": 0,
    }
    assert run_sweep(app)["warnings"] == 0
    assert rotations(app) == []
    with db.get_db(app).reader() as session:
        kinds = session.scalars(select(Notification.kind)).all()
        assert kinds.count("exposure.warning") == 1


def test_stopped_scheduler_catches_up_in_one_run(app, setup, new_contractor) -> None:
    cid, token = setup
    other = new_contractor(country="KE")
    consent(app, other)
    ingest_now(app, token, spread(cid, "a", MORNING, 240), NOW)
    ingest_now(app, token, spread(other, "b", MORNING, 360, queue="hate"), NOW)
    later = NOW + dt.timedelta(minutes=3)  # three intervals missed
    assert run_sweep(app, later)["rotations"] == 2
    assert {r.reason for r in rotations(app)} == {"daily_limit"}
    assert {r.explanation["tier"] for r in rotations(app)} == {2, 3}


def test_shifts_in_the_window_move_to_the_fallback_or_need_cover(app, setup) -> None:
    cid, token = setup
    tomorrow = NOW + dt.timedelta(days=1)
    gore_shift = plan(app, cid, "gore", tomorrow)
    hate_shift = plan(app, cid, "hate", tomorrow + dt.timedelta(hours=16))
    far_shift = plan(app, cid, "gore", NOW + dt.timedelta(days=5))
    ingest_now(app, token, spread(cid, "a", MORNING, 240), NOW)
    counts = run_sweep(app)
    assert counts["shifts_reassigned"] == 1 and counts["shifts_cancelled"] == 1
    with db.get_db(app).reader() as session:
        moved, cancelled, far = (session.get(Shift, i) for i in (gore_shift, hate_shift, far_shift))
        safe = session.scalar(select(Queue.id).where(Queue.slug == "safe"))
        assert moved is not None and cancelled is not None and far is not None
        assert moved.queue_id == safe and moved.status == "scheduled"
        assert cancelled.status == "cancelled" and cancelled.needs_cover
        assert far.status == "scheduled" and not far.needs_cover
        (rotation,) = session.scalars(select(Rotation)).all()
        assert (rotation.shifts_reassigned, rotation.shifts_cancelled) == (1, 1)
        kinds = session.scalars(select(Notification.kind)).all()
        assert kinds.count("shift.reassigned") == 2 and kinds.count("shift.cancelled") == 2


def test_crash_mid_sweep_leaves_no_half_moved_shifts(app, setup, monkeypatch) -> None:
    cid, token = setup
    tomorrow = NOW + dt.timedelta(days=1)
    first = plan(app, cid, "gore", tomorrow)
    second = plan(app, cid, "hate", tomorrow + dt.timedelta(hours=16))
    ingest_now(app, token, spread(cid, "a", MORNING, 240), NOW)
    real = rotation_module.notify_once
    calls = []

    def failing(session, **kwargs):
        if kwargs["kind"] == "shift.cancelled":  # after the first shift has moved
            calls.append(kwargs)
            raise RuntimeError("worker killed")
        return real(session, **kwargs)

    monkeypatch.setattr(rotation_module, "notify_once", failing)
    # a shift left needing cover is announced by needs_cover.release_for_cover
    monkeypatch.setattr(needs_cover, "notify_once", failing)
    job = next(job for job in all_jobs(app.config) if job.id == "rotation-sweep")
    with pytest.raises(RuntimeError):
        run_job(app, job, NOW)
    assert calls
    with db.get_db(app).reader() as session:
        ids = dict(session.execute(select(Queue.slug, Queue.id)).tuples().all())
        shifts = [session.get(Shift, i) for i in (first, second)]
        assert [(s.queue_id, s.status, s.needs_cover) for s in shifts if s] == [
            (ids["gore"], "scheduled", False),
            (ids["hate"], "scheduled", False),
        ]
        assert session.scalar(select(func.count(Rotation.id))) == 0
        run = session.scalars(select(JobRun).where(JobRun.job_id == "rotation-sweep")).one()
        assert not run.succeeded
    monkeypatch.setattr(rotation_module, "notify_once", real)
    monkeypatch.setattr(needs_cover, "notify_once", real)
    assert run_job(app, job, NOW).effects["rotations"] == 1


def test_expired_credential_for_an_upcoming_shift_rotates(app, setup) -> None:
    from workforce.contractors.models import Credential

    cid, _token = setup
    with db.transaction(app) as session:
        gore = session.scalar(select(Queue).where(Queue.slug == "gore"))
        assert gore is not None
        gore.required_credentials = [{"kind": "training", "code": "RESIL"}]
        session.add(
            Credential(
                contractor_id=cid,
                kind="training",
                code="RESIL",
                status="verified",
                expires_on=dt.date(2027, 1, 1),
            )
        )
    shift = plan(app, cid, "gore", NOW + dt.timedelta(days=5, hours=20))
    with db.transaction(app) as session:
        held = session.scalar(select(Credential).where(Credential.contractor_id == cid))
        assert held is not None
        held.expires_on = dt.date(2026, 3, 25)
    later = NOW + dt.timedelta(days=5)
    assert run_sweep(app, later)["rotations"] == 1
    (rotation,) = rotations(app)
    assert rotation.reason == "credential_expired"
    assert rotation.explanation["measured"] == ["RESIL"]
    assert run_sweep(app, later)["rotations"] == 0
    with db.get_db(app).reader() as session:
        moved = session.get(Shift, shift)
        assert moved is not None and moved.status == "scheduled"
        assert moved.queue_id != gore.id
