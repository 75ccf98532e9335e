"""The rotation sweep: rotate people off tier >= 2 queues when they breach the policy.

Every ``SWEEP_INTERVAL_SECONDS`` (job ``rotation-sweep``) and on ``POST /rotations/sweep``:

1. **Candidates**: contractors whose exposure moved since the sweep last measured them
   (:func:`changed`: each ingest batch bumps the contractor's ``exposure_runs.changes``;
   ``sweep_marks`` holds the count last measured and the policy version then), everyone
   again when a new policy version is in force, those due a *recheck* (below), and
   contractors with a scheduled tier >= 2 shift in the next 24 hours on a queue that needs a
   credential or a language (step 3). Contractors already on an active rotation, and
   offboarded ones, are skipped. So a sweep measures the people who worked since the last
   one: its cost grows with active contractors, never with stored events (nothing reads
   ``exposure_events``), and a repeated sweep measures nobody.

   Why nothing is missed: every rule below changes only with new exposure, except two that
   a new local day alone can change while the rolling 7 days stay high, a rolling-cap
   breach rotating again once a rotation is over (a new local day, a new breach key) and the
   daily rolling-cap warning. A contractor measured at 80 % or more of a rolling cap is
   marked for a recheck at their next local midnight. A contractor rotated keeps no mark,
   so they are measured again as soon as the rotation is over. A mark is written with the
   count read *before* measuring: a batch committed meanwhile moves the count past it.
2. **Measure** each candidate with :func:`workforce.exposure.standing.standings` (the
   measure eligibility uses, so the sweep and eligibility never disagree; two queries per
   500 candidates). For each policy tier with a
   cooldown (tiers 2 and 3 by default), in order tier 3 then 2:

   - ``daily_limit``: today's local exposure at tier t and above has reached the daily cap;
   - ``weekly_limit``: the rolling 7 local days have reached the rolling cap;
   - ``consecutive_days``: there was exposure today while the days in a row ending
     yesterday already number ``max_consecutive_days`` (a day past the limit was worked).

   The first breach found (highest tier first: the longest cooldown) starts a rotation of
   the tier's ``cooldown_hours`` from ``now``. ``explanation`` carries the rule, tier,
   policy version, measured value, limit, unit and window, and a ``breach_key``
   (``rule:tier:local day``, also the column ``rotations.breach_key``): a rotation with the
   same key is never created twice (a unique index; the insert skips on conflict), so a
   repeated sweep adds nothing. Every sweep, the scheduler's or ``POST /rotations/sweep``,
   also holds the ``rotation-sweep`` job lock, so two never run side by side.
3. **Credential expiry**: a candidate whose scheduled tier >= 2 shift in the next 24 hours
   (one query per 500 candidates) is on a queue whose required credential has expired (eligibility's
   ``credential_expired:CODE`` reason at the shift's start) gets a ``credential_expired``
   rotation for 24 hours, which moves those shifts like any other rotation. The next sweep
   looks again (one per local day at most).
4. **Warnings**: at 80 % of a daily or rolling cap, one ``exposure.warning`` notice per
   contractor, rule, tier and local day (one query per 500 candidates finds those sent).

``breach_at`` is when the cap was crossed as far as roll-ups tell: the end of the contractor's
latest exposure at that tier (``exposure_runs``), or ``now`` when that is unknown. Roll-ups
keep no instants, so for a breach noticed long after the last event (a scheduler that was
stopped) this is the end of the latest exposure, which is on or after the crossing.

Repeated breach of the rolling cap: once a rotation ends, a contractor still over the rolling
7-day cap is rotated again (a new local day, a new key) until the window falls below it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.models import Contractor
from workforce.exposure.policy import POLICY_TIERS, Policy, current_policy
from workforce.exposure.standing import Standing, TierStanding, standings
from workforce.harm import ROTATED_TIER
from workforce.notifications.models import Notification
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.queues.requirements import credential_reasons, required_credentials
from workforce.rotations.models import Rotation, SweepMark
from workforce.rotations.services import start_rotation_once
from workforce.shifts.models import Shift
from workforce.timeutil import load_zone, local_date, local_day_bounds, to_us

#: The scheduler's job id of the sweep, and the name of the lock every sweep holds.
SWEEP_JOB_ID = "rotation-sweep"
#: How far ahead shifts make someone a candidate (and are checked for credentials).
LOOKAHEAD = dt.timedelta(hours=24)
#: Share of a cap at which the contractor is warned.
WARNING_SHARE = 0.8
#: Length of a ``credential_expired`` rotation; the next sweeps look again.
CREDENTIAL_ROTATION = dt.timedelta(hours=24)


def changed(session: Session, now: dt.datetime, policy: Policy) -> dict[int, int]:
    """Contractors to measure again -> their runs row's ``changes``: those whose roll-ups
    moved since the sweep last measured them, measured under another policy version, due
    a recheck, or never measured. One scan of ``exposure_runs`` (a row per contractor)."""
    rows = db.rows(
        session,
        "SELECT r.contractor_id, r.changes FROM exposure_runs r "
        "LEFT JOIN sweep_marks m ON m.contractor_id = r.contractor_id "
        "WHERE m.contractor_id IS NULL OR m.changes <> r.changes "
        "OR m.policy_version <> :version OR m.recheck_us <= :now_us",
        version=policy.version,
        now_us=to_us(now),
    )
    return {row.contractor_id: row.changes for row in rows}


def _credential_queues(session: Session) -> list[int]:
    """Tier >= 2 queues that require a credential or a language."""
    return [
        queue_id
        for queue_id, credentials, language in session.execute(
            select(Queue.id, Queue.required_credentials, Queue.language).where(
                Queue.tier >= ROTATED_TIER
            )
        )
        if credentials or language
    ]


def _upcoming(queues: list[int], now: dt.datetime) -> Any:
    """Scheduled shifts on ``queues`` starting in the next 24 hours."""
    return (
        Shift.queue_id.in_(queues),
        Shift.status == "scheduled",
        Shift.starts_at >= now,
        Shift.starts_at < now + LOOKAHEAD,
    )


def candidates(
    session: Session, now: dt.datetime, policy: Policy, queues: list[int]
) -> tuple[dict[int, int], list[int]]:
    """(:func:`changed`, everyone to measure): those plus contractors with a shift in the
    next 24 h on ``queues`` (:func:`_credential_queues`), less those on a rotation."""
    moved = changed(session, now, policy)
    shifted: set[int | None] = set()
    if queues:
        shifted = set(
            session.scalars(select(Shift.contractor_id).where(*_upcoming(queues, now)).distinct())
        )
    rotated = set(
        session.scalars(
            select(Rotation.contractor_id).where(
                Rotation.status == "active", Rotation.started_at <= now, Rotation.ends_at > now
            )
        )
    )
    ids = sorted(c for c in (moved.keys() | shifted) - rotated if c is not None)
    return moved, ids


def breaches(now: Standing) -> list[dict[str, Any]]:
    """Every rule broken, highest tier first, as explanation dicts (no side effects)."""
    found = []
    for t in sorted(POLICY_TIERS, reverse=True):
        s = now.tiers[t]
        if now.policy.tier(t).cooldown_hours is None or t < ROTATED_TIER:
            continue
        if s.daily_limit_reached:
            found.append(_explain(now, s, "daily_limit", s.today_seconds // 60, "minutes"))
        if s.weekly_limit_reached:
            found.append(_explain(now, s, "weekly_limit", s.rolling_7_day_seconds // 60, "minutes"))
        if s.consecutive_limit_reached and s.worked_today:
            found.append(_explain(now, s, "consecutive_days", s.consecutive_days, "days"))
    return found


def _explain(now: Standing, s: TierStanding, rule: str, measured: int, unit: str) -> dict[str, Any]:
    limit = {
        "daily_limit": s.daily_cap_minutes,
        "weekly_limit": s.weekly_cap_minutes,
        "consecutive_days": s.max_consecutive_days,
    }[rule]
    first = now.today - dt.timedelta(days=0 if rule == "daily_limit" else 6)
    if rule == "consecutive_days":
        first = now.today - dt.timedelta(days=s.consecutive_days - 1)
    return {
        "rule": rule,
        "tier": s.tier,
        "policy_version": now.policy.version,
        "measured": measured,
        "limit": limit,
        "unit": unit,
        "window": {
            "from": first.isoformat(),
            "to": now.today.isoformat(),
            "timezone": now.timezone,
        },
        "cooldown_hours": now.policy.tier(s.tier).cooldown_hours,
        "breach_key": f"{rule}:{s.tier}:{now.today.isoformat()}",
    }


def _warning_seconds(cap_minutes: int) -> int:
    """Seconds of exposure at which a cap's warning falls due: ``WARNING_SHARE`` of it."""
    return math.ceil(WARNING_SHARE * cap_minutes * 60)


def _warnings(now: Standing) -> list[dict[str, Any]]:
    """The ``exposure.warning`` notices due (arguments of ``notify_once``; no side effects)."""
    due = []
    for t in POLICY_TIERS:
        s = now.tiers[t]
        if t < ROTATED_TIER:
            continue
        for rule, measured, cap in (
            ("daily_limit", s.today_seconds, s.daily_cap_minutes),
            ("weekly_limit", s.rolling_7_day_seconds, s.weekly_cap_minutes),
        ):
            if cap is None or not _warning_seconds(cap) <= measured < cap * 60:
                continue
            due.append(
                {
                    "kind": "exposure.warning",
                    "audience": "contractor",
                    "dedupe_key": f"warning:{now.contractor_id}:{rule}:{t}:{now.today.isoformat()}",
                    "payload": {
                        "rule": rule,
                        "tier": t,
                        "measured_minutes": measured // 60,
                        "limit_minutes": cap,
                        "local_day": now.today.isoformat(),
                        "policy_version": now.policy.version,
                    },
                    "contractor_id": now.contractor_id,
                }
            )
    return due


def _send_warnings(session: Session, due: list[dict[str, Any]]) -> int:
    """Queue the warnings not sent yet: one query finds those already in the outbox."""
    if not due:
        return 0
    sent = set(
        session.scalars(
            select(Notification.dedupe_key).where(
                Notification.dedupe_key.in_([notice["dedupe_key"] for notice in due])
            )
        )
    )
    return sum(notify_once(session, **notice) for notice in due if notice["dedupe_key"] not in sent)


def _credential_shifts(
    session: Session, queues: list[int], contractor_ids: list[int], now: dt.datetime
) -> dict[int, list[tuple[Shift, Queue]]]:
    """Scheduled shifts in the next 24 h on ``queues`` (:func:`_credential_queues`), per
    contractor, for a chunk of candidates: one query."""
    found: dict[int, list[tuple[Shift, Queue]]] = defaultdict(list)
    if not queues:
        return found
    rows = session.execute(
        select(Shift, Queue)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(*_upcoming(queues, now), Shift.contractor_id.in_(contractor_ids))
        .order_by(Shift.starts_at)
    ).all()
    for shift, queue in rows:
        found[shift.contractor_id or 0].append((shift, queue))
    return found


def _expired_credentials(
    session: Session, contractor: Contractor, shifts: list[tuple[Shift, Queue]]
) -> dict[str, Any] | None:
    zone = load_zone(contractor.timezone)
    for shift, queue in shifts:
        required = required_credentials(queue.required_credentials, queue.language)
        today = local_date(shift.starts_at, zone)
        reasons = credential_reasons(session, contractor.id, required, today)
        expired = [
            r.split(":", 1)[1]
            for r in reasons
            if r.startswith(("credential_expired:", "language_expired:"))
        ]
        if expired:
            return {"queue": queue.slug, "shift_id": shift.id, "codes": expired}
    return None


def sweep(session: Session, now: dt.datetime) -> dict[str, int]:
    """Apply the policy in force at ``now`` to every candidate (module docstring)."""
    policy = current_policy(session, now)
    counts = {
        "candidates": 0,
        "rotations": 0,
        "warnings": 0,
        "shifts_reassigned": 0,
        "shifts_cancelled": 0,
    }
    queues = _credential_queues(session)
    moved, ids = candidates(session, now, policy, queues)
    counts["candidates"] = len(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        people = session.scalars(
            select(Contractor).where(Contractor.id.in_(chunk), Contractor.status != "offboarded")
        ).all()
        measures = standings(session, people, now, policy)
        due: list[dict[str, Any]] = []
        credential_shifts = _credential_shifts(session, queues, chunk, now)
        # measured and left alone until their roll-ups move (offboarded people included)
        marks = {cid: _mark(cid, moved[cid], policy, None) for cid in chunk if cid in moved}
        for contractor in sorted(people, key=lambda c: c.id):
            measured = measures[contractor.id]
            rotation = _rotate_for_breach(session, contractor, measured, now)
            if rotation is None and credential_shifts.get(contractor.id):
                rotation = _rotate_for_credentials(
                    session, contractor, measured, credential_shifts[contractor.id], now
                )
            if rotation is None:
                if contractor.id in marks:
                    marks[contractor.id] = _mark(
                        contractor.id, moved[contractor.id], policy, _recheck_us(measured)
                    )
                due += _warnings(measured)
                continue
            # no mark: measured again as soon as the rotation is over
            marks.pop(contractor.id, None)
            counts["rotations"] += 1
            counts["shifts_reassigned"] += rotation.shifts_reassigned
            counts["shifts_cancelled"] += rotation.shifts_cancelled
        counts["warnings"] += _send_warnings(session, due)
        _save_marks(session, chunk, list(marks.values()))
    return counts


def _mark(cid: int, changes: int, policy: Policy, recheck_us: int | None) -> dict[str, Any]:
    return {"cid": cid, "changes": changes, "version": policy.version, "recheck": recheck_us}


def _recheck_us(measured: Standing) -> int | None:
    """The start of the next local day (its midnight, or the DST jump past a skipped one)
    when the rolling 7 days are at a warning's share of a cap or more: a new local day alone
    may then warn again or rotate again (a new breach key) with no new exposure. Otherwise
    ``None``: only new exposure can change the outcome."""
    for t, s in measured.tiers.items():
        cap = s.weekly_cap_minutes
        if (
            t >= ROTATED_TIER
            and cap is not None
            and s.rolling_7_day_seconds >= _warning_seconds(cap)
        ):
            _today, tomorrow = local_day_bounds(measured.today, ZoneInfo(measured.timezone))
            return to_us(tomorrow)
    return None


def _save_marks(session: Session, chunk: list[int], marks: list[dict[str, Any]]) -> None:
    """Write the chunk's marks; the rest of the chunk (rotated contractors) keep none."""
    kept = {mark["cid"] for mark in marks}
    if dropped := [cid for cid in chunk if cid not in kept]:
        session.execute(delete(SweepMark).where(SweepMark.contractor_id.in_(dropped)))
    db.execute(
        session,
        "INSERT INTO sweep_marks (contractor_id, changes, policy_version, recheck_us) "
        "VALUES (:cid, :changes, :version, :recheck) ON CONFLICT (contractor_id) DO "
        "UPDATE SET changes = excluded.changes, policy_version = excluded.policy_version, "
        "recheck_us = excluded.recheck_us",
        marks,
    )


def _rotate_for_breach(
    session: Session,
    contractor: Contractor,
    measured: Standing,
    now: dt.datetime,
) -> Rotation | None:
    for explanation in breaches(measured):
        tier = measured.tiers[explanation["tier"]]
        breach_at = min(now, tier.run_end) if tier.run_end is not None else now
        rotation = start_rotation_once(
            session,
            contractor_id=contractor.id,
            reason=explanation["rule"],
            started_at=now,
            ends_at=now + dt.timedelta(hours=explanation["cooldown_hours"]),
            explanation=explanation,
            breach_at=breach_at,
        )
        if rotation is not None:
            return rotation
    return None


def _rotate_for_credentials(
    session: Session,
    contractor: Contractor,
    measured: Standing,
    shifts: list[tuple[Shift, Queue]],
    now: dt.datetime,
) -> Rotation | None:
    found = _expired_credentials(session, contractor, shifts)
    if found is None:
        return None
    key = f"credential_expired:{','.join(found['codes'])}:{measured.today.isoformat()}"
    explanation = {
        "rule": "credential_expired",
        "policy_version": measured.policy.version,
        "measured": found["codes"],
        "limit": "verified and unexpired",
        "unit": "credential",
        "queue": found["queue"],
        "window": {
            "from": now.isoformat(),
            "to": (now + CREDENTIAL_ROTATION).isoformat(),
            "timezone": measured.timezone,
        },
        "breach_key": key,
    }
    return start_rotation_once(
        session,
        contractor_id=contractor.id,
        reason="credential_expired",
        started_at=now,
        ends_at=now + CREDENTIAL_ROTATION,
        explanation=explanation,
        breach_at=now,
    )
