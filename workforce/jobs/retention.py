"""Forgetting old job runs: ``job_runs`` gains a row per run (the sweep alone adds 1,440 a
day), and nothing reads old ones except a job's latest run, latest success and latest
failure, which ``GET /scheduler/status`` and the scheduler's start-up read and are kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from workforce.jobs.models import JobRun


def delete_old_runs(session: Session, now: dt.datetime, *, retention_days: int) -> dict[str, int]:
    """The ``job-run-retention`` job: delete runs started more than ``retention_days`` ago
    (0: keep them all, as the other retention settings), except each job's latest run,
    latest success and latest failure."""
    if retention_days <= 0:
        return {"runs_deleted": 0}
    latest = [
        select(func.max(JobRun.id)).group_by(JobRun.job_id),
        select(func.max(JobRun.id)).where(JobRun.succeeded.is_(True)).group_by(JobRun.job_id),
        select(func.max(JobRun.id)).where(JobRun.succeeded.is_(False)).group_by(JobRun.job_id),
    ]
    keep = {id_ for query in latest for id_ in session.scalars(query)}
    cutoff = now - dt.timedelta(days=retention_days)
    result = session.execute(
        delete(JobRun).where(and_(JobRun.started_at < cutoff, JobRun.id.not_in(keep)))
    )
    return {"runs_deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]
