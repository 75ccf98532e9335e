"""The urgent path end to end with a real scheduler process: PHQ-9 item 9 -> the
counsellors' email within 10 s -> no acknowledgement -> the escalation email after the
configured minutes -> acknowledged -> no more escalations."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.scheduling.test_scheduler_process import start_scheduler, stop
from tests.smtp_server import Mailbox, smtp_server
from tests.wellbeing.conftest import ITEM9_PHQ9

pytestmark = pytest.mark.slow

COUNSELLORS, LEAD = "counsellors@example.org", "lead@example.org"
#: Three seconds to acknowledge, then every two: minutes as fractions, for the test.
ACK_MINUTES, REPEAT_MINUTES = 0.05, 2 / 60


def to_staff(smtp: Mailbox) -> list[tuple[Any, list[str]]]:
    """The messages to the counsellors and the lead, with their recipients: the contractor's
    own notices (a new token's) may arrive at any time in between."""
    return [
        (message, recipients)
        for message, recipients in zip(smtp.messages, smtp.recipients, strict=True)
        if set(recipients) <= {COUNSELLORS, LEAD}
    ]


def wait_for(smtp: Mailbox, count: int, seconds: float) -> float:
    started = time.monotonic()
    while len(to_staff(smtp)) < count and time.monotonic() - started < seconds:
        time.sleep(0.05)
    assert len(to_staff(smtp)) >= count, [m["Subject"] for m in smtp.messages]
    return time.monotonic() - started


def test_an_urgent_referral_reaches_counsellors_then_escalates_until_acknowledged(
    app, client, person, check_in, counsellor, tmp_path
) -> None:
    with smtp_server(tmp_path) as smtp, (tmp_path / "scheduler.log").open("wb") as log:
        settings = {
            "SMTP_URL": smtp.url,
            "SMTP_CA_FILE": smtp.ca_file,
            "NOTIFY_EMAILS": json.dumps({"wellbeing": [COUNSELLORS]}),
            "ESCALATION_EMAILS": LEAD,
            "URGENT_ACK_MINUTES": str(ACK_MINUTES),
            "URGENT_REPEAT_MINUTES": str(REPEAT_MINUTES),
            "URGENT_CHECK_SECONDS": "1",
            # no delivery run during the test: every email here is sent at once
            "DELIVERY_INTERVAL_SECONDS": "3600",
        }
        # the test's own app sends the referral at once: give it the same mail settings
        app.config.update(
            SMTP_URL=smtp.url,
            SMTP_CA_FILE=smtp.ca_file,
            NOTIFY_EMAILS=settings["NOTIFY_EMAILS"],
            ESCALATION_EMAILS=LEAD,
        )
        scheduler = start_scheduler(app.config["DATABASE_URL"], tmp_path, log, **settings)
        try:
            referral = check_in(person(), "phq9", ITEM9_PHQ9)
            assert referral["urgent"]
            assert wait_for(smtp, 1, 10) < 10
            assert to_staff(smtp)[0][1] == [COUNSELLORS]
            # no acknowledgement: after three seconds the lead (and the counsellors) hear
            waited = wait_for(smtp, 3, 20)  # one message per recipient
            escalated = to_staff(smtp)[1:3]
            assert {m["Subject"] for m, _to in escalated} == {
                "URGENT [Workforce wellbeing] referral.escalated"
            }
            assert sorted(to for _m, to in escalated) == [[COUNSELLORS], [LEAD]]
            assert waited >= 1  # not before the acknowledgement window

            listed = client.get("/api/v1/referrals?urgent=true", headers=counsellor).json
            [item] = listed["items"]
            acked = client.post(f"/api/v1/referrals/{item['id']}/acknowledge", headers=counsellor)
            assert acked.status_code == 200
            seen = len(to_staff(smtp))
            time.sleep(5)  # more than two repeat intervals: nothing more is sent
            assert len(to_staff(smtp)) <= seen + 1  # at most one that was already on its way
            settled = len(to_staff(smtp))
            time.sleep(3)
            assert len(to_staff(smtp)) == settled
        finally:
            stop([scheduler])
        assert scheduler.returncode is not None, (tmp_path / "scheduler.log").read_text()
