"""Readiness: can this web host serve (its database answers), and is the scheduler doing
its work (a recent heartbeat, no job overdue)? ``GET /api/v1/health/ready`` answers it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from workforce.db import get_db
from workforce.exposure.partitions import default_partition_rows
from workforce.jobs.models import SchedulerHeartbeat
from workforce.jobs.status import job_statuses
from workforce.notifications import routing

#: A scheduler silent for this many heartbeats (``SCHEDULER_HEARTBEAT_SECONDS``) is gone.
MISSED_HEARTBEATS = 3


@dataclass(frozen=True)
class Readiness:
    #: The database answers: this host can serve requests (what a load balancer needs).
    ready: bool
    #: ``ok``; ``degraded`` (serving, but the scheduler is silent or a job overdue: an
    #: operator's matter, no reason to take web hosts out); ``unavailable`` (no database).
    status: str
    checks: dict[str, dict[str, Any]]


def readiness(app: Flask, now: dt.datetime) -> Readiness:
    try:
        with get_db(app).reader() as session:
            jobs = job_statuses(session, app.config, now)
            beat = session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))
            strays = default_partition_rows(session)
    except DBAPIError as error:
        # the detail is for operators' logs, never for an unauthenticated client
        app.logger.warning("readiness: the database does not answer: %s", error.orig)
        database = {"ok": False, "detail": "the database does not answer"}
        return Readiness(False, "unavailable", {"database": database})
    silent_after = dt.timedelta(
        seconds=MISSED_HEARTBEATS * app.config["SCHEDULER_HEARTBEAT_SECONDS"]
    )
    scheduler_ok = beat is not None and now - beat <= silent_after
    overdue = [job.id for job in jobs if job.overdue]
    urgent: dict[str, Any] = {"ok": routing.counsellors_reachable(app.config)}
    if not urgent["ok"]:
        urgent["detail"] = routing.UNREACHABLE
    checks: dict[str, dict[str, Any]] = {
        "database": {"ok": True},
        "scheduler": {"ok": scheduler_ok, "last_heartbeat_at": beat},
        "jobs": {"ok": not overdue, "overdue": overdue},
        # a person in crisis must reach a human: an operator's matter, like a silent scheduler
        "urgent_referrals": urgent,
    }
    if strays:
        # PostgreSQL: events arrived in a month with no partition (the exposure-partitions
        # job has not run): nothing is lost, but an operator should run it
        checks["exposure_partitions"] = {
            "ok": False,
            "detail": f"{strays} exposure events in the default partition: run the "
            "exposure-partitions job",
        }
    healthy = all(check["ok"] for check in checks.values())
    return Readiness(True, "ok" if healthy else "degraded", checks)
