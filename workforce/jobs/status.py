"""What the scheduler has been doing: last run, next run and last error of every job."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.jobs.definitions import Job, all_jobs
from workforce.jobs.models import JobRun


@dataclass(frozen=True)
class JobStatus:
    id: str
    description: str
    schedule: str
    last_run: JobRun | None
    last_success_at: dt.datetime | None
    last_error: str | None
    next_run_at: dt.datetime | None
    #: The job missed its next run by more than half its interval (:func:`is_overdue`).
    overdue: bool


def due_after(job: Job, last_started: dt.datetime | None) -> dt.datetime | None:
    """When ``job`` should run next after a run started at ``last_started``: an interval
    later, or the cron schedule's next time; None when it never ran. The scheduler starts
    from this (a restart does not postpone a job) and status measures lateness with it."""
    if last_started is None:
        return None
    if job.trigger == "interval":
        return last_started + dt.timedelta(**job.trigger_args)
    return _cron(job).get_next_fire_time(None, last_started + dt.timedelta(microseconds=1))


def is_overdue(job: Job, last_started: dt.datetime | None, now: dt.datetime) -> bool:
    """The run due after ``last_started`` is late by more than half the job's interval
    (for a cron job, the gap to the run after that one). A job that never ran is not
    overdue: the scheduler runs interval jobs at its start, and readiness reports a
    scheduler that is not there."""
    due = due_after(job, last_started)
    if due is None:
        return False
    if job.trigger == "interval":
        period = dt.timedelta(**job.trigger_args)
    else:
        following: dt.datetime = _cron(job).get_next_fire_time(due, due)
        period = following - due
    return now > due + period / 2


def _cron(job: Job) -> CronTrigger:
    return CronTrigger(**job.trigger_args, timezone="UTC")


def _next_run(job: Job, last_started: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    if job.trigger == "interval":
        return due_after(job, last_started)
    fire: dt.datetime | None = _cron(job).get_next_fire_time(None, now)
    return fire


def last_starts(session: Session) -> dict[str, dt.datetime]:
    """Job id -> when its latest successful run started. A failed run did not do the job:
    counting it would postpone the job a whole interval and hide it from ``overdue``."""
    return dict(
        session.execute(
            select(JobRun.job_id, func.max(JobRun.started_at))
            .where(JobRun.succeeded.is_(True))
            .group_by(JobRun.job_id)
        )
        .tuples()
        .all()
    )


def _schedule(job: Job) -> str:
    args = ", ".join(f"{key}={value}" for key, value in job.trigger_args.items())
    return f"{job.trigger}({args})"


def job_statuses(session: Session, config: dict[str, Any], now: dt.datetime) -> list[JobStatus]:
    latest = {
        run.job_id: run
        for run in session.scalars(
            select(JobRun).where(JobRun.id.in_(select(func.max(JobRun.id)).group_by(JobRun.job_id)))
        )
    }
    successes = dict(
        session.execute(
            select(JobRun.job_id, func.max(JobRun.finished_at))
            .where(JobRun.succeeded.is_(True))
            .group_by(JobRun.job_id)
        )
        .tuples()
        .all()
    )
    errors = dict(
        session.execute(
            select(JobRun.job_id, JobRun.error).where(
                JobRun.id.in_(
                    select(func.max(JobRun.id))
                    .where(JobRun.succeeded.is_(False))
                    .group_by(JobRun.job_id)
                )
            )
        )
        .tuples()
        .all()
    )
    started = last_starts(session)
    statuses = []
    for job in all_jobs(config):
        last = latest.get(job.id)
        statuses.append(
            JobStatus(
                id=job.id,
                description=job.description,
                schedule=_schedule(job),
                last_run=last,
                last_success_at=successes.get(job.id),
                last_error=errors.get(job.id),
                next_run_at=_next_run(job, started.get(job.id), now),
                overdue=is_overdue(job, started.get(job.id), now),
            )
        )
    return statuses
