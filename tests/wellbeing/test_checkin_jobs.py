"""The scheduled wellbeing jobs: answers deleted after the retention period (scores kept), and
check-in reminders for people on tier 2-3 work, once per interval."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import make_queue, make_shift
from tests.wellbeing.conftest import CALM_PHQ9, MODERATE_PHQ9
from workforce import db
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification
from workforce.wellbeing.checkins import (
    CHECK_IN_INTERVAL,
    delete_expired_answers,
    record_check_in,
    remind_check_ins,
)
from workforce.wellbeing.models import CheckIn

API = "/api/v1"
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def add_check_in(app, contractor_id: int, at: dt.datetime, answers=CALM_PHQ9) -> int:
    with app.app_context(), db.transaction(app) as session:
        check_in = record_check_in(session, contractor_id, "phq9", answers, pcl5_cutoff=33)
        check_in.created_at = at
        return check_in.id


def job(name: str, app):
    return next(j for j in all_jobs(app.config) if j.id == name)


# --- retention -------------------------------------------------------------------------------


def test_old_answers_are_deleted_and_scores_kept(app, client, person) -> None:
    who = person()
    old = add_check_in(app, who.id, NOW - dt.timedelta(days=366), MODERATE_PHQ9)
    recent = add_check_in(app, who.id, NOW - dt.timedelta(days=364))

    with app.app_context(), db.transaction(app) as session:
        assert delete_expired_answers(session, NOW, retention_days=365) == {"answers_deleted": 1}
    with app.app_context(), db.transaction(app) as session:
        assert delete_expired_answers(session, NOW, retention_days=365) == {"answers_deleted": 0}
        gone = session.get(CheckIn, old)
        assert gone is not None and gone.answers is None
        assert (gone.score, gone.band, gone.flagged) == (10, "moderate", True)
        assert gone.answers_deleted_at == NOW
        # A real SQL NULL, not the JSON text "null".
        assert session.scalar(select(CheckIn.id).where(CheckIn.answers.is_(None))) == old
        kept = session.get(CheckIn, recent)
        assert kept is not None and kept.answers == CALM_PHQ9

    items = {
        c["id"]: c for c in client.get(f"{API}/me/checkins", headers=who.headers).json["items"]
    }
    assert items[old]["answers"] is None and items[old]["score"] == 10
    assert items[old]["answers_deleted_at"] is not None


def test_the_retention_period_is_configured(app, person) -> None:
    who = person()
    now = db.utcnow()
    add_check_in(app, who.id, now - dt.timedelta(days=10))
    app.config["CHECKIN_RETENTION_DAYS"] = 365
    assert run_job(app, job("checkin-retention", app)).effects == {"answers_deleted": 0}
    app.config["CHECKIN_RETENTION_DAYS"] = 7
    assert run_job(app, job("checkin-retention", app)).effects == {"answers_deleted": 1}


def test_the_retention_job_audits_a_count_only(app, person) -> None:
    from workforce.audit import AuditEvent

    who = person()
    add_check_in(app, who.id, NOW - dt.timedelta(days=400), MODERATE_PHQ9)
    with app.app_context(), db.transaction(app) as session:
        delete_expired_answers(session, NOW, retention_days=365)
    with db.transaction(app) as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "checkin.answers_deleted")
        ).one()
    assert row.actor_role == "system"
    assert set(row.summary) == {"count", "created_before"}


# --- reminders -------------------------------------------------------------------------------


@pytest.fixture
def tiers(app) -> dict[int, int]:
    return {tier: make_queue(app, tier=tier) for tier in (0, 1, 2, 3)}


def reminders(app) -> list[tuple[int | None, str]]:
    with db.transaction(app) as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.kind == "checkin.reminder")
            .order_by(Notification.id)
        )
        return [(n.contractor_id, n.audience) for n in rows]


def remind(app, now: dt.datetime) -> dict[str, int]:
    with app.app_context(), db.transaction(app) as session:
        return remind_check_ins(session, now)


def test_people_on_tier_2_and_3_work_are_reminded_once_per_interval(
    app, new_contractor, tiers
) -> None:
    never = new_contractor()
    make_shift(app, never, tiers[2], NOW + dt.timedelta(days=3))
    recent = new_contractor()
    make_shift(app, recent, tiers[3], NOW - dt.timedelta(days=2))
    add_check_in(app, recent, NOW - dt.timedelta(days=3))
    stale = new_contractor()
    make_shift(app, stale, tiers[2], NOW + dt.timedelta(days=1))
    add_check_in(app, stale, NOW - dt.timedelta(days=20))

    assert remind(app, NOW) == {"reminded": 2}
    assert sorted(c for c, _ in reminders(app)) == sorted([never, stale])
    assert {audience for _, audience in reminders(app)} == {"contractor"}
    # Again the same day, or a week later: nothing new.
    assert remind(app, NOW) == {"reminded": 0}
    assert remind(app, NOW + dt.timedelta(days=7)) == {"reminded": 0}
    # The recent one falls due 14 days after their check-in (day 11).
    assert remind(app, NOW + dt.timedelta(days=11)) == {"reminded": 1}
    assert reminders(app)[-1][0] == recent
    # A day short of an interval after the first reminders: still nothing; then once more.
    assert remind(app, NOW + CHECK_IN_INTERVAL - dt.timedelta(hours=1)) == {"reminded": 0}
    assert remind(app, NOW + CHECK_IN_INTERVAL) == {"reminded": 2}
    assert sorted(c for c, _ in reminders(app)[-2:]) == sorted([never, stale])


def test_a_check_in_stops_the_reminders(app, new_contractor, tiers) -> None:
    who = new_contractor()
    make_shift(app, who, tiers[2], NOW)
    make_shift(app, who, tiers[2], NOW + dt.timedelta(days=10))
    assert remind(app, NOW) == {"reminded": 1}
    add_check_in(app, who, NOW + dt.timedelta(days=1))
    assert remind(app, NOW + dt.timedelta(days=14)) == {"reminded": 0}
    assert remind(app, NOW + dt.timedelta(days=15)) == {"reminded": 1}


@pytest.mark.parametrize(
    ("tier", "offset_days", "fields"),
    [
        (0, 1, {}),  # ordinary work
        (1, 1, {}),  # low tier
        (2, -30, {}),  # tier 2, but a month ago
        (2, 30, {}),  # tier 2, but a month ahead
        (2, 1, {"status": "cancelled"}),
    ],
)
def test_others_are_not_reminded(app, new_contractor, tiers, tier, offset_days, fields) -> None:
    who = new_contractor()
    make_shift(app, who, tiers[tier], NOW + dt.timedelta(days=offset_days), **fields)
    assert remind(app, NOW) == {"reminded": 0}


def test_an_open_shift_or_a_suspended_contractor_is_not_reminded(
    app, client, ops, new_contractor, tiers
) -> None:
    suspended = new_contractor()
    make_shift(app, suspended, tiers[3], NOW)
    response = client.patch(
        f"{API}/contractors/{suspended}", json={"status": "suspended"}, headers=ops
    )
    assert response.status_code == 200
    make_shift(app, None, tiers[3], NOW)
    assert remind(app, NOW) == {"reminded": 0}


def test_the_reminder_job_is_scheduled_and_runs_under_its_lock(app, new_contractor, tiers) -> None:
    who = new_contractor()
    make_shift(app, who, tiers[2], db.utcnow())
    result = run_job(app, job("checkin-reminders", app))
    assert result.ran and result.effects == {"reminded": 1}
    with db.transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
