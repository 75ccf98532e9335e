"""Concurrent sweeps: each breach becomes one rotation, one notice and one audit row,
whether the sweeps are serialised by the job lock (API and scheduler alike) or meet only at
the unique index on ``(contractor_id, breach_key)``."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.conftest import bearer
from tests.faults.helpers import wait_until_blocked
from tests.wellbeing.exposure_helpers import over_the_cap
from workforce import db
from workforce.audit import AuditEvent
from workforce.jobs.definitions import all_jobs
from workforce.jobs.locks import job_lock
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification
from workforce.rotations.models import Rotation
from workforce.rotations.sweep import SWEEP_JOB_ID, sweep


def effects(app) -> tuple[list[tuple[int, int]], int, int]:
    """(rotations per contractor, rotation notices, rotation audit rows)."""
    with db.get_db(app).reader() as session:
        per_contractor = session.execute(
            select(Rotation.contractor_id, func.count())
            .group_by(Rotation.contractor_id)
            .order_by(Rotation.contractor_id)
        ).all()
        notices = session.scalar(
            select(func.count()).where(Notification.kind == "rotation.started")
        )
        audits = session.scalar(select(func.count()).where(AuditEvent.action == "rotation.start"))
    return [tuple(row) for row in per_contractor], int(notices or 0), int(audits or 0)


def test_an_api_sweep_waits_for_the_scheduler_sweep_in_progress(app, make_token) -> None:
    """The scheduler's sweep has rotated everyone but not committed yet; an API sweep
    started meanwhile must wait for the lock and then find nothing to do (before: on
    PostgreSQL it read no rotation under READ COMMITTED and rotated everyone again)."""
    ids = over_the_cap(app, 3)
    token = make_token("ops")
    answers: list[tuple[int, dict]] = []

    def api_sweep() -> None:
        response = app.test_client().post("/api/v1/rotations/sweep", headers=bearer(token))
        answers.append((response.status_code, response.json))

    second = threading.Thread(target=api_sweep)
    with (
        app.test_request_context(),
        db.transaction(app) as session,
        job_lock(app, session, SWEEP_JOB_ID) as held,
    ):
        assert held
        assert sweep(session, db.utcnow())["rotations"] == 3
        second.start()
        wait_until_blocked(app)
    second.join(timeout=30)
    assert [status for status, _ in answers] == [200], answers
    assert answers[0][1]["rotations"] == 0
    assert effects(app) == ([(cid, 1) for cid in ids], 3, 3)


def test_sweeps_that_bypass_the_lock_still_rotate_once(app) -> None:
    """Without the lock (any future caller of ``sweep``), the unique index decides: the
    second insert waits for the first transaction and skips its row."""
    ids = over_the_cap(app, 2)
    counts: list[dict[str, int]] = []

    def second_sweep() -> None:
        with app.test_request_context(), db.transaction(app) as session:
            counts.append(sweep(session, db.utcnow()))

    second = threading.Thread(target=second_sweep)
    with app.test_request_context(), db.transaction(app) as session:
        counts.append(sweep(session, db.utcnow()))
        second.start()
        wait_until_blocked(app)
    second.join(timeout=30)
    assert sorted(c["rotations"] for c in counts) == [0, 2]
    assert effects(app) == ([(cid, 1) for cid in ids], 2, 2)


def test_many_concurrent_sweeps_api_and_scheduler(app, make_token) -> None:
    ids = over_the_cap(app, 8)
    token = make_token("ops")
    job = next(j for j in all_jobs(app.config) if j.id == SWEEP_JOB_ID)
    start = threading.Barrier(8, timeout=30)

    def one(n: int) -> int:
        start.wait()
        if n < 2:
            run_job(app, job)  # a standby when another sweep holds the lock: also fine
            return 200
        return app.test_client().post("/api/v1/rotations/sweep", headers=bearer(token)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(8)))
    assert statuses == [200] * 8
    assert effects(app) == ([(cid, 1) for cid in ids], 8, 8)
