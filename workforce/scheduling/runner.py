"""The scheduler process: APScheduler 3 ``BlockingScheduler`` running the jobs of
:mod:`workforce.scheduling.jobs`, each in an app context and a transaction of its own."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from workforce import db
from workforce.scheduling.jobs import Job, all_jobs
from workforce.scheduling.locks import job_lock
from workforce.scheduling.models import JobRun

log = logging.getLogger("workforce.scheduler")

#: A run that starts this late is still worth doing (jobs catch up from state anyway).
MISFIRE_GRACE_SECONDS = 300


@dataclass(frozen=True)
class RunResult:
    job_id: str
    ran: bool
    effects: dict[str, int]
    seconds: float


def run_job(app: Flask, job: Job, now: dt.datetime | None = None) -> RunResult:
    """Run ``job`` once under its lock; ``ran`` is False when another process holds it.

    The job's effects and its run record commit together; a failed run rolls back and is
    recorded (with its error) in a transaction of its own, then re-raised.
    """
    started_at, started = db.utcnow(), time.perf_counter()
    try:
        with (
            app.app_context(),
            db.transaction(app) as session,
            job_lock(app, session, job.id) as held,
        ):
            if not held:
                log.info("job %s: standby, another scheduler holds its lock", job.id)
                return RunResult(job.id, False, {}, time.perf_counter() - started)
            effects = job.func(session, now or started_at)
            session.add(
                JobRun(
                    job_id=job.id,
                    started_at=started_at,
                    finished_at=db.utcnow(),
                    succeeded=True,
                    effects=effects,
                )
            )
    except Exception as error:
        with app.app_context(), db.transaction(app) as session:
            session.add(
                JobRun(
                    job_id=job.id,
                    started_at=started_at,
                    finished_at=db.utcnow(),
                    succeeded=False,
                    effects={},
                    error=f"{type(error).__name__}: {error}"[:1000],
                )
            )
        raise
    result = RunResult(job.id, True, effects, time.perf_counter() - started)
    log.info("job %s ran in %.3fs: %s", job.id, result.seconds, effects)
    return result


def _safe_run(app: Flask, job: Job) -> None:
    try:
        run_job(app, job)
    except Exception:
        # One failed run must not stop the scheduler; the next run derives from state.
        log.exception("job %s failed", job.id)


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone="UTC",
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    for job in all_jobs(app.config):
        scheduler.add_job(
            _safe_run,
            job.trigger,
            args=(app, job),
            id=job.id,
            name=job.description or job.id,
            **job.trigger_args,
        )
    return scheduler


def run_forever(app: Flask) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler = build_scheduler(app)
    log.info("scheduler starting with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()
