"""Report runs: build a report, wrap it in its evidence envelope, store it, audit it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.audit import Actor
from workforce.notifications.models import Notification
from workforce.notifications.services import notify_once
from workforce.reports.evidence import envelope, policies_in_force, store_run
from workforce.reports.exposure import ExposureArgs, check_period, exposure_report
from workforce.reports.pay import Figures, pay_report
from workforce.reports.rotations import rotation_report
from workforce.reports.suppression import effective_k
from workforce.reports.wellbeing import Freeze, wellbeing_report


def exposure_content(
    session: Session, args: ExposureArgs, *, k: int, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    check_period(args.start, args.end)
    policies = policies_in_force(session, args.start, args.end)
    body = exposure_report(session, args, policies, k)
    return envelope(
        "exposure",
        start=args.start,
        end=args.end,
        filters=args.filters(),
        policies=policies,
        actor=actor,
        generated_at=now,
        body=body,
    )


def rotations_content(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    country: str | None,
    sweep_interval_seconds: int,
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    check_period(start, end)
    policies = policies_in_force(session, start, end)
    body = rotation_report(
        session, start, end, country=country, sweep_interval_seconds=sweep_interval_seconds
    )
    filters = {"country": country} if country is not None else {}
    return envelope(
        "rotations",
        start=start,
        end=end,
        filters=filters,
        policies=policies,
        actor=actor,
        generated_at=now,
        body=body,
    )


def wellbeing_content(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    group_by: str,
    k: int,
    actor: Actor,
    now: dt.datetime,
    freeze: Freeze | None = None,
) -> dict[str, Any]:
    check_period(start, end)
    return envelope(
        "wellbeing",
        start=start,
        end=end,
        filters={},
        policies=policies_in_force(session, start, end),
        actor=actor,
        generated_at=now,
        body=wellbeing_report(
            session, start, end, group_by=group_by, k=k, today=now.date(), freeze=freeze
        ),
    )


def pay_content(
    figures: Figures,
    start: dt.date,
    end: dt.date,
    *,
    policy_versions: list[dict[str, Any]],
    k: int,
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    """The pay evidence report (figures from ``workforce.pay.report``), suppressed and
    wrapped in its envelope, citing the pay policy versions the statements were paid under."""
    check_period(start, end)
    return envelope(
        "pay",
        start=start,
        end=end,
        filters={"reporting_currency": figures.citations["reporting_currency"]},
        policies=policy_versions,
        actor=actor,
        generated_at=now,
        body=pay_report(figures, k),
    )


def record_run(session: Session, content: dict[str, Any], actor: Actor) -> int:
    """Store the run and audit it (filters and grouping only: never figures about people)."""
    run = store_run(session, content, actor)
    by_contractor = "contractor" in content.get("group_by", [])
    audit.record(
        session,
        f"report.{content['kind']}" + ("_by_contractor" if by_contractor else ""),
        "report_run",
        run.id,
        {
            "period": content["period"],
            "filters": content["filters"],
            "group_by": content.get("group_by", []),
            "sha256": content["sha256"],
        },
        actor=actor,
    )
    return run.id


def previous_month(now: dt.datetime) -> tuple[dt.date, dt.date]:
    first = now.astimezone(dt.UTC).date().replace(day=1)
    last = first - dt.timedelta(days=1)
    return last.replace(day=1), last


def monthly_reports(session: Session, now: dt.datetime) -> dict[str, int]:
    """The previous month's exposure (by country and week) and rotation reports, stored as
    runs, and one notice to compliance. Idempotent: a month already reported is skipped."""
    start, end = previous_month(now)
    key = f"monthly-reports:{start:%Y-%m}"
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return {"runs": 0}
    config = current_app.config if has_app_context() else {}
    actor = audit.SYSTEM
    exposure = exposure_content(
        session,
        ExposureArgs(start=start, end=end, group_by=("country", "week")),
        k=effective_k(config.get("REPORT_MIN_GROUP")),
        actor=actor,
        now=now,
    )
    rotations = rotations_content(
        session,
        start,
        end,
        country=None,
        sweep_interval_seconds=int(config.get("SWEEP_INTERVAL_SECONDS", 60)),
        actor=actor,
        now=now,
    )
    ids = [record_run(session, content, actor) for content in (exposure, rotations)]
    notify_once(
        session,
        kind="monthly_reports",
        audience="compliance",
        dedupe_key=key,
        payload={
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "exposure_run_id": ids[0],
            "rotations_run_id": ids[1],
            "sha256": [exposure["sha256"], rotations["sha256"]],
        },
    )
    return {"runs": 2}
