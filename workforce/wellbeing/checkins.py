"""Wellbeing check-ins: voluntary screening, scored by :mod:`workforce.wellbeing.screening`.

A check-in is private to the contractor and the ``wellbeing`` role. A flagged result opens a
referral for a counsellor and does nothing else: no rotation, no change to eligibility or
pay. So does a worsening: a WHO-5 score that fell by the instrument's ``relevant_drop`` (10
percentage points) or more since the contractor's previous WHO-5 check-in. Audit events say
who did or read what about whom, never an answer, score or band.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.errors import NotFound
from workforce.harm import ROTATED_TIER
from workforce.notifications.models import Notification
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_date
from workforce.wellbeing.instruments import pcl5_bands
from workforce.wellbeing.models import CheckIn, Referral
from workforce.wellbeing.screening import INSTRUMENTS, Instrument, score

#: "A wellbeing check-in is offered every 14 days to anyone on tier 2 or 3 work"
#: (docs/architecture.md, "Default exposure policy").
CHECK_IN_INTERVAL = dt.timedelta(days=14)
#: "On tier 2 or 3" means a shift on such a queue within this many days before or after now.
TIER_WORK_WINDOW = dt.timedelta(days=14)
#: Points per instrument in a contractor's trend (a little under six months at 14 days).
TREND_POINTS = 12
#: The outbox kind of a check-in reminder (its dedupe key adds the contractor and the date).
REMINDER_KIND = "checkin.reminder"
#: The WHO-5 measures wellbeing (higher is better); the others measure symptoms.
HIGHER_IS_BETTER = frozenset({"who5"})


def published_instruments(pcl5_cutoff: int) -> list[Instrument]:
    """The instruments as contractors are shown them, PCL-5 banded at this site's cut-off."""
    return [
        replace(inst, bands=pcl5_bands(pcl5_cutoff)) if inst.key == "pcl5" else inst
        for inst in INSTRUMENTS.values()
    ]


def record_check_in(
    session: Session,
    contractor_id: int,
    instrument: str,
    answers: Sequence[object],
    *,
    pcl5_cutoff: int,
) -> CheckIn:
    """Score and store a contractor's answers; a flagged result opens a referral."""
    if not (isinstance(pcl5_cutoff, int) and 1 <= pcl5_cutoff <= 80):
        raise ValueError("the PCL-5 cut-off (WORKFORCE_PCL5_CUTOFF) must be from 1 to 80")
    result = score(instrument, answers, pcl5_cutoff=pcl5_cutoff)
    check_in = CheckIn(
        contractor_id=contractor_id,
        instrument=result.instrument,
        answers=list(answers),
        score=result.score,
        raw_score=result.raw_score,
        band=result.band,
        flagged=result.flagged,
        urgent=result.urgent,
    )
    session.add(check_in)
    session.flush()
    # The contractor id only: even the instrument or the existence of a referral would tell
    # an audit reader something about this person's wellbeing.
    audit.record(
        session, "checkin.create", "check_in", check_in.id, {"contractor_id": contractor_id}
    )
    worsening = _worsening(session, check_in)
    opened = _open_referral(session, check_in, worsening) if worsening else None
    if result.flagged and opened is None:
        _open_referral(session, check_in)
    return check_in


def _worsening(session: Session, check_in: CheckIn) -> dict[str, Any] | None:
    """Why ``check_in`` is a clinically relevant fall since the contractor's previous check-in
    on the same instrument, or None (first check-in, a smaller fall, no threshold)."""
    inst = INSTRUMENTS[check_in.instrument]
    if inst.relevant_drop is None:
        return None
    previous = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.contractor_id == check_in.contractor_id,
            CheckIn.instrument == check_in.instrument,
            CheckIn.id != check_in.id,
        )
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .limit(1)
    ).first()
    if previous is None or previous.score - check_in.score < inst.relevant_drop:
        return None
    contractor = session.get(Contractor, check_in.contractor_id)
    assert contractor is not None  # the check-in's foreign key
    zone = load_zone(contractor.timezone)
    before, after = local_date(previous.created_at, zone), local_date(check_in.created_at, zone)
    drop = previous.score - check_in.score
    return {
        "rule": "relevant_drop",
        "instrument": inst.key,
        "previous_check_in_id": previous.id,
        "previous_score": previous.score,
        "previous_at": previous.created_at.isoformat(),
        "previous_date": before.isoformat(),
        "new_score": check_in.score,
        "new_at": check_in.created_at.isoformat(),
        "new_date": after.isoformat(),
        "drop": drop,
        "threshold": inst.relevant_drop,
        "source": inst.relevant_drop_source,
        "text": (
            f"{inst.short_name} fell by {drop} points, from {previous.score} on {before} to "
            f"{check_in.score} on {after} (the contractor's dates); a fall of "
            f"{inst.relevant_drop} or more is clinically relevant."
        ),
    }


def _open_referral(
    session: Session, check_in: CheckIn, worsening: dict[str, Any] | None = None
) -> Referral | None:
    """Open the check-in's referral; with ``worsening``, None if the contractor already has a
    worsening referral for that local day (the unique index decides, as for rotations)."""
    # Covered by the check-in's audit event, not one of its own: a "referral.open" event
    # would tell everyone who reads the audit log that this check-in was flagged.
    values: dict[str, Any] = {
        "check_in_id": check_in.id,
        "contractor_id": check_in.contractor_id,
        "status": "open",
        "urgent": check_in.urgent,
    }
    if worsening is not None:
        values["worsening"] = worsening
        values["drop_key"] = f"{worsening['instrument']}_drop:{worsening['new_date']}"
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    new_id = session.scalar(
        insert(Referral)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=["contractor_id", "drop_key"],
            index_where=Referral.drop_key.isnot(None),
        )
        .returning(Referral.id)
    )
    if new_id is None:
        return None
    referral = session.get(Referral, new_id)
    assert referral is not None
    notify_once(
        session,
        kind="referral.opened",
        audience="wellbeing",
        dedupe_key=f"referral:{referral.id}:opened",
        payload={"referral_id": referral.id, "urgent": referral.urgent},
        contractor_id=check_in.contractor_id,
        # An urgent referral reaches the counsellors at once, not at the next delivery run.
        at_once=referral.urgent,
    )
    return referral


def check_ins_query(
    *,
    contractor_id: int | None = None,
    instrument: str | None = None,
    flagged: bool | None = None,
    urgent: bool | None = None,
    urgent_first: bool = False,
) -> Select[tuple[CheckIn]]:
    """Check-ins, newest first; ``urgent_first`` puts urgent ones ahead (counsellors)."""
    stmt = select(CheckIn).options(selectinload(CheckIn.referral))
    if contractor_id is not None:
        stmt = stmt.where(CheckIn.contractor_id == contractor_id)
    if instrument is not None:
        stmt = stmt.where(CheckIn.instrument == instrument)
    if flagged is not None:
        stmt = stmt.where(CheckIn.flagged.is_(flagged))
    if urgent is not None:
        stmt = stmt.where(CheckIn.urgent.is_(urgent))
    if urgent_first:
        stmt = stmt.order_by(CheckIn.urgent.desc())
    return stmt.order_by(CheckIn.created_at.desc(), CheckIn.id.desc())


def get_check_in(
    session: Session, check_in_id: int, *, contractor_id: int | None = None
) -> CheckIn:
    """One check-in; with ``contractor_id``, only if it is theirs (otherwise a plain 404)."""
    check_in = session.get(CheckIn, check_in_id)
    if check_in is None or (contractor_id is not None and check_in.contractor_id != contractor_id):
        # The message names the check-in, never its owner.
        raise NotFound(f"check-in {check_in_id} does not exist")
    return check_in


def trend(
    session: Session, contractor_id: int, instrument: str | None = None
) -> list[dict[str, Any]]:
    """Per instrument the contractor has used: the last scores, oldest first, and the change
    between the last two. Facts only: ``higher_is_better`` says how to read the change."""
    keys = [instrument] if instrument else list(INSTRUMENTS)
    out = []
    for key in keys:
        rows = session.execute(
            select(CheckIn.created_at, CheckIn.score, CheckIn.band)
            .where(CheckIn.contractor_id == contractor_id, CheckIn.instrument == key)
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
            .limit(TREND_POINTS)
        ).all()
        if not rows:
            continue
        points = [{"created_at": at, "score": value, "band": band} for at, value, band in rows]
        points.reverse()
        out.append(
            {
                "instrument": key,
                "higher_is_better": key in HIGHER_IS_BETTER,
                "points": points,
                "change": points[-1]["score"] - points[-2]["score"] if len(points) > 1 else None,
            }
        )
    return out


# --- scheduled jobs --------------------------------------------------------------------------


def delete_expired_answers(
    session: Session, now: dt.datetime, *, retention_days: int
) -> dict[str, int]:
    """Scheduled job: delete the answers of check-ins older than the retention period.

    Scores, bands and flags stay (aggregate reports need them); the row records when its
    answers went. Idempotent: rows already emptied are skipped.
    """
    if retention_days < 1:
        raise ValueError("CHECKIN_RETENTION_DAYS must be at least 1")
    cutoff = now - dt.timedelta(days=retention_days)
    result = session.execute(
        update(CheckIn)
        .where(CheckIn.created_at < cutoff, CheckIn.answers_deleted_at.is_(None))
        .values(answers=None, answers_deleted_at=now)
        .execution_options(synchronize_session=False)
    )
    deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if deleted:
        audit.record(
            session,
            "checkin.answers_deleted",
            "check_in",
            None,
            {"count": deleted, "created_before": cutoff.isoformat()},
        )
    return {"answers_deleted": deleted}


def remind_check_ins(session: Session, now: dt.datetime) -> dict[str, int]:
    """Scheduled job: offer a check-in to contractors on tier >= 2 work whose last check-in
    is older than ``CHECK_IN_INTERVAL`` (or who never checked in), at most once per interval.

    Idempotent: whether someone is due, and when they were last reminded, are read from the
    check-ins and the outbox; a reminder is dated ``now``.
    """
    on_tier_work = (
        select(Shift.contractor_id)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            Queue.tier >= ROTATED_TIER,
            Shift.contractor_id.is_not(None),
            Shift.status != "cancelled",
            Shift.starts_at < now + TIER_WORK_WINDOW,
            Shift.ends_at > now - TIER_WORK_WINDOW,
        )
    )
    ids = list(
        session.scalars(
            select(Contractor.id)
            .where(Contractor.status == "active", Contractor.id.in_(on_tier_work))
            .order_by(Contractor.id)
        )
    )
    last_check_in = _latest(
        session, select(CheckIn.contractor_id, func.max(CheckIn.created_at)), ids
    )
    last_reminder = _latest(
        session,
        select(Notification.contractor_id, func.max(Notification.created_at)).where(
            Notification.kind == REMINDER_KIND
        ),
        ids,
    )
    reminded = 0
    for contractor_id in ids:
        checked_in, reminded_at = last_check_in.get(contractor_id), last_reminder.get(contractor_id)
        if checked_in is not None and now - checked_in < CHECK_IN_INTERVAL:
            continue
        if reminded_at is not None and now - reminded_at < CHECK_IN_INTERVAL:
            continue
        if notify_once(
            session,
            kind=REMINDER_KIND,
            audience="contractor",
            dedupe_key=f"{REMINDER_KIND}:{contractor_id}:{now.date().isoformat()}",
            payload={"interval_days": CHECK_IN_INTERVAL.days},
            contractor_id=contractor_id,
            created_at=now,
        ):
            reminded += 1
    return {"reminded": reminded}


def _latest(session: Session, stmt: Select[Any], ids: list[int]) -> dict[int, dt.datetime]:
    """``contractor_id -> max(...)`` for a ``select(X.contractor_id, func.max(...))``."""
    entity = stmt.selected_columns[0]
    rows = session.execute(stmt.where(entity.in_(ids)).group_by(entity)).tuples().all()
    return dict(rows)
