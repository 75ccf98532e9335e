"""The scheduler process: APScheduler 3 ``BlockingScheduler`` running the jobs of
:mod:`workforce.scheduling.jobs`, each in an app context and a transaction of its own."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from workforce import db
from workforce.scheduling.jobs import Job, all_jobs
from workforce.scheduling.locks import job_lock

log = logging.getLogger("workforce.scheduler")

#: A run that starts this late is still worth doing (jobs catch up from state anyway).
MISFIRE_GRACE_SECONDS = 300


@dataclass(frozen=True)
class RunResult:
    job_id: str
    ran: bool
    effects: dict[str, int]
    seconds: float


def run_job(app: Flask, job: Job) -> RunResult:
    """Run ``job`` once under its lock; ``ran`` is False when another process holds it."""
    started = time.perf_counter()
    with app.app_context(), db.transaction(app) as session, job_lock(app, session, job.id) as held:
        if not held:
            return RunResult(job.id, False, {}, time.perf_counter() - started)
        effects = job.func(session, db.utcnow())
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
