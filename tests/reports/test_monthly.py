"""The monthly job: last month's two reports stored as runs, compliance told once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from workforce import db
from workforce.notifications.models import Notification
from workforce.reports.models import ReportRun
from workforce.reports.services import monthly_reports, previous_month


def test_previous_month() -> None:
    now = dt.datetime(2026, 3, 1, 3, tzinfo=dt.UTC)
    assert previous_month(now) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_monthly_job_is_idempotent(app) -> None:
    now = dt.datetime(2026, 3, 1, 3, tzinfo=dt.UTC)
    with app.app_context():
        with db.transaction(app) as session:
            assert monthly_reports(session, now) == {"runs": 2}
        with db.transaction(app) as session:
            assert monthly_reports(session, now) == {"runs": 0}
            kinds = sorted(session.scalars(select(ReportRun.kind)))
            notices = session.scalars(select(Notification)).all()
    assert kinds == ["exposure", "rotations"]
    assert len(notices) == 1 and notices[0].audience == "compliance"
    assert notices[0].payload["period"] == {"from": "2026-02-01", "to": "2026-02-28"}
