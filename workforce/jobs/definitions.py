"""The scheduler's jobs, defined in code. Each is idempotent: its effect is derived from
database state, so a missed or repeated run is harmless. A job takes the session of its own
transaction and the instant it runs for, and returns counts of what it did."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.credentials import notify_credential_expiry
from workforce.exposure.partitions import ensure_partitions
from workforce.exposure.retention import delete_old_events
from workforce.jobs.retention import delete_old_runs
from workforce.notifications.delivery import deliver_due
from workforce.ratelimit import delete_closed_windows
from workforce.reports.services import monthly_reports
from workforce.rotations.planned import plan_rotations
from workforce.rotations.sweep import SWEEP_JOB_ID, sweep
from workforce.scheduling.attendance import mark_missed_shifts
from workforce.wellbeing.checkins import delete_expired_answers, remind_check_ins
from workforce.wellbeing.escalation import escalate_urgent_referrals

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

    def deliver(_session: Session, now: dt.datetime) -> dict[str, int]:
        # Sends with no transaction open: its own short ones claim and record (the job's
        # session is left unused, so on SQLite it never takes the write lock).
        return deliver_due(current_app._get_current_object(), now)  # type: ignore[attr-defined]

    return [
        Job(
            SWEEP_JOB_ID,
            sweep,
            "interval",
            {"seconds": config["SWEEP_INTERVAL_SECONDS"]},
            "rotate contractors who breached the exposure policy off tier >= 2 queues",
        ),
        Job(
            "planned-rotations",
            plan_rotations,
            "cron",
            {"hour": config["PLANNED_ROTATION_HOURS"], "minute": 0},
            "plan a week off tiers 2-3 after the policy's run of weeks with tier-3 work",
        ),
        Job(
            "deliver-notifications",
            deliver,
            "interval",
            {"seconds": config["DELIVERY_INTERVAL_SECONDS"]},
            "send the outbox (webhooks, email) with retries, no transaction held while sending",
        ),
        Job(
            "urgent-referral-escalation",
            partial(
                escalate_urgent_referrals,
                ack_minutes=config["URGENT_ACK_MINUTES"],
                repeat_minutes=config["URGENT_REPEAT_MINUTES"],
            ),
            "interval",
            {"seconds": config["URGENT_CHECK_SECONDS"]},
            "escalate urgent referrals no counsellor acknowledged in time, until one does",
        ),
        Job(
            "credential-expiry",
            notify_credential_expiry,
            "interval",
            {"hours": 1},
            "notices for credentials expiring within 30 days or expired",
        ),
        Job(
            "missed-shifts",
            mark_missed_shifts,
            "interval",
            # with the 30-minute grace (attendance.MISSED_GRACE) a no-show is flagged
            # 30 to 35 minutes after the planned start
            {"minutes": 5},
            "mark shifts with no clock-in 30 minutes after their start as missed",
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
        Job(
            "exposure-event-retention",
            partial(
                delete_old_events,
                retention_days=config["EXPOSURE_EVENT_RETENTION_DAYS"],
                batch_size=config["EXPOSURE_EVENT_RETENTION_BATCH_SIZE"],
                max_batches=config["EXPOSURE_EVENT_RETENTION_MAX_BATCHES"],
            ),
            "interval",
            {"seconds": config["EXPOSURE_EVENT_RETENTION_INTERVAL_SECONDS"]},
            "delete raw exposure events past the retention age; the roll-ups stay",
        ),
        Job(
            "exposure-partitions",
            partial(ensure_partitions, months_ahead=config["EXPOSURE_PARTITION_MONTHS_AHEAD"]),
            "interval",
            {"hours": 6},
            "PostgreSQL: create the coming months' exposure_events partitions ahead; move "
            "rows the default partition caught into their month's",
        ),
        Job(
            "monthly-reports",
            monthly_reports,
            "cron",
            {"day": 1, "hour": 3},
            "the previous month's exposure and rotation reports, stored; compliance notified",
        ),
        Job(
            "audit-checkpoint",
            partial(audit.write_checkpoint, path=audit.checkpoint_file(config)),
            "interval",
            {"minutes": 15},
            "sign the audit chain's head into audit_checkpoints and the checkpoint file",
        ),
        Job(
            "failure-windows",
            delete_closed_windows,
            "interval",
            {"minutes": 15},
            "forget closed failure windows of the sign-in rate limits (database storage)",
        ),
        Job(
            "job-run-retention",
            partial(delete_old_runs, retention_days=config["JOB_RUN_RETENTION_DAYS"]),
            "interval",
            {"hours": 24},
            "forget job runs past the retention age, keeping each job's latest run, success "
            "and failure",
        ),
    ]
