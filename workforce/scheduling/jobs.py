"""The scheduler's jobs, defined in code. Each is idempotent: its effect is derived from
database state, so a missed or repeated run is harmless. A job takes the session of its own
transaction and the instant it runs for, and returns counts of what it did."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

JobFunc = Callable[[Session, dt.datetime], dict[str, int]]


@dataclass(frozen=True)
class Job:
    id: str
    func: JobFunc
    #: APScheduler trigger name and arguments, e.g. ("interval", {"seconds": 60}).
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def all_jobs(config: dict[str, Any]) -> list[Job]:
    """Every job with its schedule from the configuration."""
    from workforce.contractors.credentials import notify_credential_expiry
    from workforce.wellbeing.checkins import delete_expired_answers, remind_check_ins

    return [
        Job(
            "credential-expiry",
            notify_credential_expiry,
            "interval",
            {"hours": 1},
            "notices for credentials expiring within 30 days or expired",
        ),
        Job(
            "checkin-reminders",
            remind_check_ins,
            "interval",
            {"hours": 6},
            "offer a check-in to people on tier 2-3 work, once per interval",
        ),
        Job(
            "checkin-retention",
            partial(delete_expired_answers, retention_days=config["CHECKIN_RETENTION_DAYS"]),
            "interval",
            {"hours": 24},
            "delete check-in answers past the retention period; scores stay",
        ),
    ]
