"""Urgent referrals: sent to the counsellors at once, acknowledged, escalated until then."""

from __future__ import annotations

import datetime as dt
import json
import time

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.smtp_server import smtp_server
from tests.wellbeing.conftest import CALM_PHQ9, ITEM9_PHQ9
from workforce import db
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.notifications.models import Notification
from workforce.wellbeing.escalation import ESCALATED_KIND, escalation_step
from workforce.wellbeing.models import Referral

API = "/api/v1"
COUNSELLORS = "counsellors@example.org"
LEAD = "clinical-lead@example.org"


def escalate(app, now: dt.datetime) -> int:
    """Run the job; how many escalations it sent."""
    job = next(job for job in all_jobs(app.config) if job.id == "urgent-referral-escalation")
    before = len(escalations(app))
    result = run_job(app, job, now=now)
    # Its effects are on /scheduler/status (admin, ops): a count would tell them that
    # someone is in crisis, so there is none.
    assert result.effects == {}
    return len(escalations(app)) - before


def opened_at(app) -> dt.datetime:
    with db.get_db(app).reader() as session:
        return session.scalars(select(Referral.created_at)).one()


def escalations(app) -> list[int]:
    with db.get_db(app).reader() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == ESCALATED_KIND))
        return sorted(n.payload["escalation"] for n in rows)


def test_an_urgent_referral_is_emailed_at_once_without_a_delivery_run(
    app, person, check_in, tmp_path
) -> None:
    with smtp_server(tmp_path) as smtp:
        app.config.update(
            SMTP_URL=smtp.url,
            SMTP_CA_FILE=smtp.ca_file,
            NOTIFY_EMAILS=json.dumps({"wellbeing": [COUNSELLORS], "ops": ["ops@example.org"]}),
        )
        check_in(person(), "phq9", CALM_PHQ9)
        check_in(person(), "phq9", ITEM9_PHQ9)
        deadline = time.monotonic() + 10
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # nothing else is on its way
        assert [m["Subject"] for m in smtp.messages] == [
            "URGENT [Workforce wellbeing] referral.opened"
        ]
        assert smtp.recipients == [[COUNSELLORS]]


def test_unacknowledged_urgent_referrals_escalate_until_acknowledged(
    app, client, person, check_in, counsellor
) -> None:
    app.config.update(ESCALATION_EMAILS=LEAD, URGENT_ACK_MINUTES=15.0, URGENT_REPEAT_MINUTES=15.0)
    check_in(person(), "phq9", ITEM9_PHQ9)
    check_in(person(), "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])  # flagged, not urgent
    with db.get_db(app).reader() as session:
        urgent = session.scalars(select(Referral).where(Referral.urgent.is_(True))).one()
    at = urgent.created_at
    assert escalate(app, at + dt.timedelta(minutes=14)) == 0
    assert escalate(app, at + dt.timedelta(minutes=15)) == 1
    assert escalate(app, at + dt.timedelta(minutes=29)) == 0  # the same step, once
    assert escalate(app, at + dt.timedelta(minutes=31)) == 1
    assert escalations(app) == [1, 2]
    # a run after a long outage sends the step due now, not every one missed
    assert escalate(app, at + dt.timedelta(minutes=95)) == 1
    assert escalations(app) == [1, 2, 6]

    acked = client.post(f"{API}/referrals/{urgent.id}/acknowledge", headers=counsellor)
    assert acked.status_code == 200, acked.json
    again = client.post(f"{API}/referrals/{urgent.id}/acknowledge", headers=counsellor)
    assert again.json["acknowledged_at"] == acked.json["acknowledged_at"]
    assert escalate(app, at + dt.timedelta(minutes=200)) == 0
    assert client.post(f"{API}/referrals/999999/acknowledge", headers=counsellor).status_code == 404


def test_escalations_reach_the_escalation_contacts_and_the_counsellors_only(
    app, person, check_in, tmp_path
) -> None:
    app.config.update(
        ESCALATION_EMAILS=LEAD,
        NOTIFY_EMAILS=json.dumps({"wellbeing": [COUNSELLORS], "ops": ["ops@example.org"]}),
    )
    check_in(person(), "phq9", ITEM9_PHQ9)
    time.sleep(0.5)  # let the at-once delivery of the referral itself finish
    escalate(app, opened_at(app) + dt.timedelta(minutes=16))
    deadline = time.monotonic() + 10
    mailbox = tmp_path / "mail"
    while len(list(mailbox.glob("*.eml"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    recipients = sorted(
        line.split(":", 1)[1].strip()
        for eml in mailbox.glob("*.eml")
        for line in eml.read_text().splitlines()
        if line.startswith("To:")
    )
    # the opening to the counsellors; the escalation to them and to the lead; never ops
    assert recipients == sorted([COUNSELLORS, COUNSELLORS, LEAD])


@given(st.integers(0, 10_000), st.integers(1, 120), st.integers(1, 120), st.integers(0, 10_000))
def test_each_escalation_step_falls_due_once_and_in_order(
    seconds: int, ack: int, repeat: int, later: int
) -> None:
    opened = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    ack_d, repeat_d = dt.timedelta(minutes=ack), dt.timedelta(minutes=repeat)
    now = opened + dt.timedelta(seconds=seconds)
    step = escalation_step(opened, now, ack_d, repeat_d)
    after = escalation_step(opened, now + dt.timedelta(seconds=later), ack_d, repeat_d)
    assert (step is None) == (now < opened + ack_d)
    if step is not None:
        assert after is not None and after >= step
        # step n falls due exactly at ack + n * repeat
        assert opened + ack_d + step * repeat_d <= now < opened + ack_d + (step + 1) * repeat_d
