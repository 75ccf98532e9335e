"""The credential-expiry job writes each notice once, through the scheduler's job runner."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from workforce import db
from workforce.contractors.credentials import decide, submit_credential
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification


def expiry_job(app):
    return next(job for job in all_jobs(app.config) if job.id == "credential-expiry")


def add_verified(app, cid: int, expires_on: dt.date) -> int:
    with app.test_request_context(), db.transaction(app) as session:
        cred = submit_credential(
            session, cid, {"kind": "license", "code": "RN", "expires_on": expires_on}
        )
        decide(session, cred.id, "verify", None)
        return cred.id


def notices(app) -> list[tuple[str, str, int | None]]:
    with db.get_db(app).reader() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        return [(n.kind, n.audience, n.payload.get("credential_id")) for n in rows]


def test_expiring_and_expired_credentials_are_noticed_once(app, new_contractor) -> None:
    cid = new_contractor(country="PH")
    today = db.utcnow().date()
    soon = add_verified(app, cid, today + dt.timedelta(days=20))
    gone = add_verified(app, cid, today - dt.timedelta(days=3))
    add_verified(app, cid, today + dt.timedelta(days=200))  # not yet worth a notice
    first = run_job(app, expiry_job(app))
    assert first.ran
    assert first.effects == {"expiring": 1, "expired": 1}
    assert sorted(notices(app)) == sorted(
        [
            ("credential.expiring", "contractor", soon),
            ("credential.expiring", "ops", soon),
            ("credential.expired", "contractor", gone),
            ("credential.expired", "ops", gone),
        ]
    )
    again = run_job(app, expiry_job(app))
    assert again.effects == {"expiring": 0, "expired": 0}
    assert len(notices(app)) == 4


def test_a_job_held_by_another_process_is_skipped(app) -> None:
    from workforce.jobs.locks import job_lock

    job = expiry_job(app)
    # A read session: on SQLite it takes no database lock, so only the job lock is tested.
    with (
        db.get_db(app).reader() as session,
        session.begin(),
        job_lock(app, session, job.id) as held,
    ):
        assert held
        assert run_job(app, job).ran is False
    assert run_job(app, job).ran is True
