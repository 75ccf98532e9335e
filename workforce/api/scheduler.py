"""``GET /scheduler/status``: is the scheduler running its jobs, and did they succeed?"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from workforce import db
from workforce.extensions import Blueprint
from workforce.identity.access import roles
from workforce.jobs.status import JobStatus, job_statuses

blp = Blueprint("scheduler", __name__, url_prefix="/api/v1", description="Scheduler")


class JobRunSchema(ma.Schema):
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime()
    succeeded = ma.fields.Boolean()
    effects = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    error = ma.fields.String(allow_none=True)


class JobStatusSchema(ma.Schema):
    id = ma.fields.String()
    description = ma.fields.String()
    schedule = ma.fields.String()
    last_run = ma.fields.Nested(JobRunSchema, allow_none=True)
    last_success_at = ma.fields.DateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_run_at = ma.fields.DateTime(allow_none=True)
    #: missed its next run by more than half its interval
    overdue = ma.fields.Boolean()


class SchedulerStatusSchema(ma.Schema):
    jobs = ma.fields.List(ma.fields.Nested(JobStatusSchema))


@blp.route("/scheduler/status")
class SchedulerStatus(MethodView):
    @roles("admin", "ops")
    @blp.response(200, SchedulerStatusSchema)
    def get(self) -> dict[str, list[JobStatus]]:
        """Every scheduled job: last run and its effects, next run, last error."""
        return {"jobs": job_statuses(db.session(), current_app.config, db.utcnow())}
