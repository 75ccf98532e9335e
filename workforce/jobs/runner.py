"""The scheduler process: APScheduler 3 ``BlockingScheduler`` running the jobs of
:mod:`workforce.jobs.definitions`, each in an app context and a transaction of its own."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.logging import default_handler
from sqlalchemy import delete

from workforce import db, redact
from workforce.jobs.definitions import Job, all_jobs
from workforce.jobs.locks import job_lock
from workforce.jobs.models import JobRun, SchedulerHeartbeat
from workforce.jobs.status import due_after, last_starts
from workforce.notifications import routing

log = logging.getLogger("workforce.scheduler")

#: A run that starts this late is still worth doing (jobs catch up from state anyway).
MISFIRE_GRACE_SECONDS = 300
#: A failed run is tried again this soon (unless the job's next run comes sooner).
RETRY_FAILED_AFTER = dt.timedelta(seconds=60)
#: Heartbeats of processes silent this long are deleted.
FORGET_AFTER = dt.timedelta(days=1)


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
            # a run starts once it holds the lock: the previous holder's run may have
            # finished between this process reading the clock and taking the lock
            started_at = db.utcnow()
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


def _safe_run(app: Flask, job: Job, scheduler: BaseScheduler | None = None) -> None:
    try:
        run_job(app, job)
    except Exception:
        # One failed run must not stop the scheduler; the next run derives from state.
        log.exception("job %s failed", job.id)
        if scheduler is not None:
            retry_soon(scheduler, job.id)


def retry_soon(scheduler: BaseScheduler, job_id: str) -> None:
    """Bring a failed job's next run forward to RETRY_FAILED_AFTER from now: a daily job
    that met a locked database must not wait a day (its trigger resumes after)."""
    scheduled = scheduler.get_job(job_id)
    soon = dt.datetime.now(dt.UTC) + RETRY_FAILED_AFTER
    if scheduled is not None and (
        scheduled.next_run_time is None or scheduled.next_run_time > soon
    ):
        scheduled.modify(next_run_time=soon)


def first_runs(app: Flask, now: dt.datetime) -> dict[str, dt.datetime | None]:
    """Job id -> when this process first runs it, from the runs recorded in ``job_runs``
    (:func:`workforce.jobs.status.due_after`), so restarting the scheduler never
    postpones a job: an interval job that never ran, or whose interval has passed, runs
    at once, else when its interval since the last run ends; a cron job whose time came
    since its last run runs at once. None: the trigger decides (a cron job's next time).
    """
    with db.get_db(app).reader() as session:
        started = last_starts(session)
    first: dict[str, dt.datetime | None] = {}
    for job in all_jobs(app.config):
        due = due_after(job, started.get(job.id))
        if job.trigger == "interval":
            first[job.id] = now if due is None else max(due, now)
        else:
            first[job.id] = now if due is not None and due <= now else None
    return first


def beat(app: Flask, scheduler_id: str, started_at: dt.datetime) -> None:
    """Record that this scheduler process is alive; forget processes silent for a day."""
    now = db.utcnow()
    with app.app_context(), db.transaction(app) as session:
        session.merge(
            SchedulerHeartbeat(scheduler_id=scheduler_id, started_at=started_at, beat_at=now)
        )
        session.execute(
            delete(SchedulerHeartbeat).where(SchedulerHeartbeat.beat_at < now - FORGET_AFTER)
        )


def _safe_beat(app: Flask, scheduler_id: str, started_at: dt.datetime) -> None:
    try:
        beat(app, scheduler_id, started_at)
    except Exception:
        # A database that is down now is reported by readiness; keep beating.
        log.exception("heartbeat failed")


def build_scheduler(
    app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler
) -> BaseScheduler:
    scheduler = scheduler_class(
        timezone="UTC",
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    now = db.utcnow()
    first = first_runs(app, now)
    for job in all_jobs(app.config):
        # next_run_time=None would add the job paused: leave the first run to the trigger
        when = {} if first[job.id] is None else {"next_run_time": first[job.id]}
        scheduler.add_job(
            _safe_run,
            job.trigger,
            args=(app, job, scheduler),
            id=job.id,
            name=job.description or job.id,
            **when,
            **job.trigger_args,
        )
    scheduler.add_job(
        _safe_beat,
        "interval",
        args=(app, f"{socket.gethostname()}:{os.getpid()}", now),
        id="heartbeat",
        name="record that this scheduler is alive",
        seconds=app.config["SCHEDULER_HEARTBEAT_SECONDS"],
        next_run_time=now,
    )
    return scheduler


#: APScheduler's own INFO lines (each job added, each run started and finished) repeat
#: what :func:`run_job` logs once per run; its warnings and errors still show.
QUIET_LOGGERS = ("apscheduler",)


def run_forever(app: Flask) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The root handler writes every line once: Flask's own handler on the app's logger
    # ("workforce") would print the scheduler's lines a second time.
    app.logger.removeHandler(default_handler)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redact.install_everywhere()
    if not routing.counsellors_reachable(app.config):
        log.warning("%s", routing.UNREACHABLE)
    scheduler = build_scheduler(app)
    log.info("scheduler starting with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()
