"""The workforce simulation: exposure ingested through the API while the sweep runs on its
schedule under a simulated clock, checked against an oracle.

    python bench/simulate.py [--contractors 10000] [--days 30] [--interval 60]
                             [--history-factor 10] [--database-url URL] [--seed 7]

Contractors (bench/common.py: six zones without DST) each have a home queue and a shift
plan (08:00-16:00 local, later starts for some; tier-3 people four days a week, others
five, a few heavy reviewers every day), stored as shifts. The clock starts ``--days`` days
ago and advances ``--interval`` simulated seconds at a time. At each tick:

1. the moderation platform posts the exposure events that *ended* in the tick
   (``POST /api/v1/exposure-events`` through the in-process WSGI test client, batches of at
   most 5,000) - items come from the shift's queue, in 5-20 minute stretches; a contractor
   on an active rotation gets no tier >= 2 work (the platform asks eligibility), and days
   have bursts (x1.4) and heavy reviewers (x1.8);
2. the ``rotation-sweep`` job runs exactly as the scheduler runs it
   (:func:`workforce.jobs.runner.run_job`, lock and ``JobRun`` included) at the
   simulated instant; its real wall time and the contractors it measured (those whose
   exposure moved since the last sweep) are recorded.

At the end an oracle recomputes every breach from the generated events alone (daily cap,
rolling 7-day cap, consecutive days, tiers 3 and 2 of the default policy, local days) and
prints: breaches it finds that no rotation covered within one interval + 10 s (undetected),
minutes worked past a cap, breach -> rotation time (simulated; a breach is *known* when the
event in which the cap was crossed ends and is posted), sweep wall time, shifts reassigned
and cancelled. Then a *full* sweep (every contractor measured, as after a new policy
version: the sweep's marks cleared) is timed at the final instant with the stored history,
and again after ``--history-factor`` - 1 extra copies of all events and roll-ups, older
than the window the sweep reads, are added.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import random
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from common import database_url, dispose, fresh_app, percentile, seed_workforce
from flask import Flask
from sqlalchemy import delete, insert, select, text

from workforce import db
from workforce.exposure.models import ExposureDaily, ExposureEvent
from workforce.exposure.policy import DEFAULT_POLICY
from workforce.jobs.definitions import all_jobs
from workforce.jobs.runner import run_job
from workforce.rotations.models import Rotation, SweepMark
from workforce.shifts.models import Shift

DAY = dt.timedelta(days=1)
#: Home queues people are hired for (tier >= 1), weighted; tier >= 2 queues fall back to
#: ``general`` (tier 0) during a rotation.
HOME = {"spam-harassment": 25, "adult": 10, "hate": 25, "self-harm": 10, "violence": 20, "csam": 10}
#: Minutes of content per shift day by queue tier (before bursts), under the caps.
CONTENT_MINUTES = {1: 360, 2: 280, 3: 190}
BURST_SHARE, BURST = 0.1, 1.4
HEAVY_SHARE, HEAVY = 0.02, 1.8


def _limits() -> dict[int, dict[str, int]]:
    """Caps of tiers 2 and 3 from the default policy (the one the simulation runs under)."""
    out = {}
    for tier in DEFAULT_POLICY["tiers"]:
        if tier["tier"] >= 2:
            out[tier["tier"]] = {
                name: tier[name]["value"]
                for name in ("daily_cap_minutes", "weekly_cap_minutes", "max_consecutive_days")
            }
    return out


@dataclass
class Person:
    id: int
    zone: ZoneInfo
    queue: str
    tier: int
    heavy: bool
    #: (start, end) of each shift, UTC, in order.
    shifts: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    #: Generator state: the shift being worked, where its next stretch starts, how long
    #: that stretch is, and the share of the shift spent on content.
    index: int = 0
    cursor: dt.datetime | None = None
    stretch: int = 0
    share: float = 0.0
    #: Events generated: (start, seconds, tier).
    events: list[tuple[dt.datetime, int, int]] = field(default_factory=list)


def plan(world: dict[str, Any], start: dt.datetime, days: int, rng: random.Random) -> list[Person]:
    people = []
    slugs, weights = list(HOME), list(HOME.values())
    for cid in world["contractors"]:
        queue = rng.choices(slugs, weights)[0]
        tier = world["queues"][queue][1]
        heavy = rng.random() < HEAVY_SHARE
        person = Person(cid, ZoneInfo(world["zones"][cid]), queue, tier, heavy)
        week_days = 7 if heavy else (4 if tier == 3 else 5)
        first_local = start.astimezone(person.zone).date()
        hour = rng.choice((7, 8, 8, 9, 10, 14))
        off = rng.randrange(7)
        for n in range(days + 1):
            day = first_local + n * DAY
            if (day.toordinal() + off) % 7 >= week_days:
                continue
            begin = dt.datetime.combine(day, dt.time(hour), person.zone).astimezone(dt.UTC)
            if begin < start:
                continue  # the clock starts here
            person.shifts.append((begin, begin + dt.timedelta(hours=8)))
        people.append(person)
    return people


def store_shifts(app: Flask, world: dict[str, Any], people: list[Person]) -> None:
    now = db.utcnow()
    rows = [
        {
            "contractor_id": p.id,
            "queue_id": world["queues"][p.queue][0],
            "starts_at": begin,
            "ends_at": end,
            "status": "scheduled",
            "sequence": 0,
            "needs_cover": False,
            "created_at": now,
            "updated_at": now,
        }
        for p in people
        for begin, end in p.shifts
    ]
    with db.transaction(app) as session:
        general = world["queues"]["general"][0]
        session.execute(
            text("UPDATE queues SET fallback_queue_id = :g WHERE tier >= 2"), {"g": general}
        )
        for i in range(0, len(rows), 5000):
            session.execute(insert(Shift), rows[i : i + 5000])


def events_until(
    person: Person, until: dt.datetime, rotated_until: dt.datetime | None, rng: random.Random
) -> tuple[list[tuple[dt.datetime, int]], dt.datetime | None]:
    """The person's stretches of content that end by ``until``, and when the next one ends
    (None: no more shifts). On a rotation, tier >= 2 stretches are not routed to them."""
    out = []
    while person.index < len(person.shifts):
        begin, end = person.shifts[person.index]
        if person.cursor is None:  # a new shift: this day's content share
            person.cursor, person.stretch = begin, rng.randint(5, 20) * 60
            factor = HEAVY if person.heavy else (BURST if rng.random() < BURST_SHARE else 1.0)
            person.share = min(0.95, factor * CONTENT_MINUTES[person.tier] / 480)
        if person.cursor >= end:
            person.index, person.cursor = person.index + 1, None
            continue
        finish = person.cursor + dt.timedelta(seconds=person.stretch)
        if finish > until:
            return out, finish  # not ended yet: posted at a later tick
        on_rotation = rotated_until is not None and person.cursor < rotated_until
        if not (on_rotation and person.tier >= 2):
            out.append((person.cursor, person.stretch))
        gap = int(person.stretch * (1 / person.share - 1))
        person.cursor = finish + dt.timedelta(seconds=gap)
        person.stretch = rng.randint(5, 20) * 60
    return out, None


# --- the oracle --------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    contractor_id: int
    rule: str
    tier: int
    day: dt.date
    #: When the measure reached the cap, and when the platform reported it (event end).
    crossed_at: dt.datetime
    known_at: dt.datetime


def oracle(person: Person) -> tuple[list[Breach], dict[int, list[tuple[dt.datetime, int]]]]:
    """Every breach of the person's events, and the exposure past a cap per tier:
    (instant, seconds) pieces worked while a measure of that tier was at or over its cap."""
    limits = _limits()
    breaches: list[Breach] = []
    past: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    totals: dict[int, dict[dt.date, int]] = {t: defaultdict(int) for t in limits}
    seen: set[tuple[str, int, dt.date]] = set()
    for start, seconds, tier in sorted(person.events):
        # cut at local midnight (the zones have fixed offsets)
        pieces, cursor, left = [], start, seconds
        while left > 0:
            local = cursor.astimezone(person.zone)
            midnight = dt.datetime.combine(local.date() + DAY, dt.time(), person.zone)
            take = min(left, int((midnight - cursor).total_seconds()))
            pieces.append((cursor, take, local.date()))
            cursor, left = cursor + dt.timedelta(seconds=take), left - take
        end = start + dt.timedelta(seconds=seconds)
        for piece_start, take, day in pieces:
            for t, rule in limits.items():
                if tier < t:
                    continue
                days = totals[t]
                run = 0
                while days.get(day - (run + 1) * DAY, 0) > 0:
                    run += 1
                before_day = days[day]
                before_week = sum(days.get(day - k * DAY, 0) for k in range(7))
                over_at: list[tuple[str, int]] = []  # rule, seconds into the piece
                for name, before, cap in (
                    ("daily_limit", before_day, rule["daily_cap_minutes"] * 60),
                    ("weekly_limit", before_week, rule["weekly_cap_minutes"] * 60),
                ):
                    if before + take >= cap:
                        over_at.append((name, max(0, cap - before)))
                if run >= rule["max_consecutive_days"]:
                    over_at.append(("consecutive_days", 0))
                for name, offset in over_at:
                    if (name, t, day) not in seen:
                        seen.add((name, t, day))
                        crossed = piece_start + dt.timedelta(seconds=offset)
                        breaches.append(Breach(person.id, name, t, day, crossed, end))
                if over_at:
                    offset = min(offset for _name, offset in over_at)
                    if take > offset:
                        past[t].append((piece_start + dt.timedelta(seconds=offset), take - offset))
                days[day] = before_day + take
    return breaches, past


def check(
    people: list[Person],
    rotations: dict[int, list[tuple[dt.datetime, dt.datetime]]],
    slack: dt.timedelta,
) -> dict[str, Any]:
    undetected, latencies, past_minutes = [], [], 0.0
    breaches_total = 0
    for person in people:
        breaches, past = oracle(person)
        breaches_total += len(breaches)
        mine = sorted(rotations.get(person.id, []))
        for b in breaches:
            active = any(s <= b.crossed_at < e for s, e in mine)
            later = [s for s, _e in mine if b.crossed_at <= s]
            if active:
                continue
            if not later or later[0] > b.known_at + slack:
                undetected.append(b)
                continue
            latencies.append((later[0] - b.known_at).total_seconds())
        for pieces in past.values():
            past_minutes += sum(seconds for _start, seconds in pieces) / 60
    return {
        "breaches": breaches_total,
        "undetected": len(undetected),
        "undetected_examples": [
            (b.contractor_id, b.rule, b.tier, b.day.isoformat(), b.known_at.isoformat())
            for b in undetected[:5]
        ],
        "minutes_past_cap": round(past_minutes, 1),
        "breach_to_rotation_p50_s": percentile(latencies, 50),
        "breach_to_rotation_p99_s": percentile(latencies, 99),
        "breach_to_rotation_max_s": max(latencies, default=0.0),
    }


# --- history ----------------------------------------------------------------------------


def add_history(app: Flask, copies: int, shift: dt.timedelta) -> int:
    """``copies`` extra copies of every stored event and roll-up, each ``shift`` further
    back: stored history the sweep must not read."""
    added = 0
    event_columns = [c.name for c in ExposureEvent.__table__.columns if c.name != "id"]
    with db.get_db(app).reader() as session:
        events = [
            dict(r._mapping)
            for r in session.execute(select(*[ExposureEvent.__table__.c[c] for c in event_columns]))
        ]
        daily = [dict(r._mapping) for r in session.execute(select(ExposureDaily.__table__))]
    for k in range(1, copies + 1):
        back = k * shift
        rows = [
            {**e, "event_id": f"{e['event_id']}-h{k}", "started_at": e["started_at"] - back}
            for e in events
        ]
        days = [{**d, "local_day": d["local_day"] - dt.timedelta(days=back.days)} for d in daily]
        with db.transaction(app) as session:
            for i in range(0, len(rows), 5000):
                session.execute(insert(ExposureEvent), rows[i : i + 5000])
            for i in range(0, len(days), 5000):
                session.execute(insert(ExposureDaily), days[i : i + 5000])
        added += len(rows)
    if app.config["DATABASE_URL"].startswith("postgresql"):
        with db.transaction(app) as session:
            session.execute(text("ANALYZE"))
    return added


def time_full_sweeps(app: Flask, job: Any, at: dt.datetime, runs: int = 5) -> list[float]:
    """Sweeps that measure every contractor again (as after a new policy version): the
    sweep's marks are cleared before each."""
    times = []
    for _ in range(runs):
        with db.transaction(app) as session:
            session.execute(delete(SweepMark))
        times.append(run_job(app, job, at).seconds)
    return times


# --- the run ----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    url, label = database_url(args.database_url)
    rng = random.Random(args.seed)
    app = fresh_app(url)
    app.config["SWEEP_INTERVAL_SECONDS"] = args.interval
    # a lock of its own: another run on this machine must not make this one a standby
    app.config["LOCK_DIR"] = tempfile.mkdtemp(prefix="workforce-simulate-locks-")
    client = app.test_client()
    interval = dt.timedelta(seconds=args.interval)
    world = seed_workforce(app, args.contractors, seed=args.seed)
    headers = {"Authorization": f"Bearer {world['token']}"}
    # the clock: from local midnight UTC ``days`` ago to an hour ago (events may not be
    # in the future of the API's real clock)
    end = db.utcnow().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    start = end - args.days * DAY
    people = plan(world, start, args.days, rng)
    store_shifts(app, world, people)
    job = next(j for j in all_jobs(app.config) if j.id == "rotation-sweep")
    print(
        f"simulate ({label}): {args.contractors} contractors x {args.days} days, sweep every "
        f"{args.interval} s (simulated), {sum(len(p.shifts) for p in people)} shifts"
    )

    sweep_seconds: list[float] = []
    measured: list[int] = []  # contractors each sweep measured
    counts: dict[str, int] = defaultdict(int)
    rotated_until: dict[int, dt.datetime] = {}
    posted, n, clock, wall = 0, 0, start, time.perf_counter()
    #: (instant the person's next stretch can end, index): only they are looked at
    wakes = [(p.shifts[0][0], i) for i, p in enumerate(people) if p.shifts]
    heapq.heapify(wakes)
    while clock < end:
        clock += interval
        batch = []
        while wakes and wakes[0][0] <= clock:
            _at, index = heapq.heappop(wakes)
            person = people[index]
            stretches, wake = events_until(person, clock, rotated_until.get(person.id), rng)
            if wake is not None:
                heapq.heappush(wakes, (wake, index))
            for begin, seconds in stretches:
                person.events.append((begin, seconds, person.tier))
                ev: dict[str, Any] = {
                    "event_id": f"e{n}",
                    "contractor_id": person.id,
                    "queue": person.queue,
                    "started_at": begin.isoformat(),
                    "duration_seconds": seconds,
                }
                categories = world["queues"][person.queue][2]
                if categories:
                    ev["category"] = categories[0]
                batch.append(ev)
                n += 1
        for i in range(0, len(batch), 5000):
            answer = client.post(
                "/api/v1/exposure-events", json={"events": batch[i : i + 5000]}, headers=headers
            )
            assert answer.status_code == 200, answer.get_json()
            posted += answer.get_json()["accepted"]
        result = run_job(app, job, clock)
        assert result.ran, "the sweep stood by: another process holds its lock"
        sweep_seconds.append(result.seconds)
        measured.append(result.effects["candidates"])
        if len(sweep_seconds) % (86400 // args.interval) == 0:
            print(f"  day {len(sweep_seconds) * args.interval // 86400} simulated", flush=True)
        for key, value in result.effects.items():
            counts[key] += value
        if result.effects.get("rotations"):
            with db.get_db(app).reader() as session:
                rotated_until = dict(
                    session.execute(
                        select(Rotation.contractor_id, Rotation.ends_at).where(
                            Rotation.status == "active", Rotation.ends_at > clock
                        )
                    ).all()
                )
    simulated_wall = time.perf_counter() - wall

    with db.get_db(app).reader() as session:
        rotations: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        for cid, s, e in session.execute(
            select(Rotation.contractor_id, Rotation.started_at, Rotation.ends_at)
        ):
            rotations[cid].append((s, e))
        candidates = session.scalar(
            text("SELECT COUNT(DISTINCT contractor_id) FROM exposure_daily WHERE tier >= 2")
        )
    found = check(people, rotations, interval + dt.timedelta(seconds=10))

    at_1x = time_full_sweeps(app, job, end)
    added = add_history(app, args.history_factor - 1, (args.days + 10) * DAY)
    at_10x = time_full_sweeps(app, job, end)
    figures = {
        "database": label,
        "contractors": args.contractors,
        "days": args.days,
        "interval_s": args.interval,
        "events_posted": posted,
        "sweeps": len(sweep_seconds),
        "rotations": counts["rotations"],
        "shifts_reassigned": counts["shifts_reassigned"],
        "shifts_cancelled": counts["shifts_cancelled"],
        "warnings": counts["warnings"],
        "contractors_with_tier2_exposure": candidates,
        **found,
        "sweep_p50_s": percentile(sweep_seconds, 50),
        "sweep_p99_s": percentile(sweep_seconds, 99),
        "sweep_max_s": max(sweep_seconds),
        "measured_per_sweep_p50": percentile(measured, 50),
        "measured_per_sweep_max": max(measured),
        "full_sweep_at_end_1x_history_s": statistics.median(at_1x),
        "history_events_added": added,
        f"full_sweep_at_end_{args.history_factor}x_history_s": statistics.median(at_10x),
        "wall_s": round(simulated_wall, 1),
    }
    for key, value in figures.items():
        print(f"  {key}: {value:.3f}" if isinstance(value, float) else f"  {key}: {value}")
    dispose(app)
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--interval", type=int, default=60, help="sweep interval, simulated s")
    parser.add_argument("--history-factor", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
