"""What the scheduler has been doing: last run, next run and last error of every job."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.scheduling.jobs import Job, all_jobs
from workforce.scheduling.models import JobRun


@dataclass(frozen=True)
class JobStatus:
    id: str
    description: str
    schedule: str
    last_run: JobRun | None
    last_success_at: dt.datetime | None
    last_error: str | None
    next_run_at: dt.datetime | None


def _next_run(job: Job, last_started: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    if job.trigger == "interval":
        if last_started is None:
            return None
        return last_started + dt.timedelta(**job.trigger_args)
    if job.trigger == "cron":
        fire: dt.datetime | None = CronTrigger(
            **job.trigger_args, timezone="UTC"
        ).get_next_fire_time(None, now)
        return fire
    return None


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
                next_run_at=_next_run(job, last.started_at if last else None, now),
            )
        )
    return statuses
