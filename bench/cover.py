"""Cover finder latency for one shift over a whole workforce, against the per-person
checks it stands for.

    python bench/cover.py [--contractors 10000] [--runs 7] [--sample 300]
                          [--cover-at HOURS] [--database-url URL]

Every contractor gets a week of planned shifts around the shift to cover (one a day at a
random hour, so overlap, rest and weekly hours all exclude some) and a week of tier-3
exposure roll-ups (so the exposure budget and the ranking read real rows). The shift to
cover is on the tier-2 queue ``hate``: every rule applies (consent, opt-outs, rotation,
exposure limits and the projected daily budget, overlap, rest, weekly hours). At its
default place (the middle of everyone's week) the hour rules exclude everyone, the worst
case for them; ``--cover-at 108`` moves it 108 hours later, after everyone's last shift,
so that nearly everyone qualifies: the worst case for the stages after them (exposure,
ranking).

Measured: ``cover_candidates`` (the API's service, with its default ``limit``) ``--runs``
times, with and without reading its ``excluded`` (``?include_excluded=true``), and the
per-person check it is built on -- ``enforce`` (eligibility and the hour rules) plus
``exposure_budget`` for one contractor -- for a random ``--sample`` of contractors; the
ratio printed is (per-person time x contractors) / cover finder time: how much faster
the set-based finder is than asking each person in turn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from typing import Any

from common import database_url, dispose, fresh_app, seed_workforce
from common import percentile as pct
from sqlalchemy import insert, text

from workforce import db


def seed(app: Any, contractors: int, rng: random.Random, cover_at: float = 0) -> int:
    """The workforce, their shifts and exposure; returns the id of the shift to cover."""
    from workforce.exposure.ingest import rebuild_contractor_days
    from workforce.exposure.models import ExposureDaily
    from workforce.shifts.models import Shift

    world = seed_workforce(app, contractors)
    hate = world["queues"]["hate"][0]
    violence = world["queues"]["violence"][0]
    now = db.utcnow().replace(minute=0, second=0, microsecond=0)
    start = now + dt.timedelta(days=3)
    shifts, exposure = [], []
    for cid in world["contractors"]:
        for day in range(-3, 4):
            at = start + dt.timedelta(days=day, hours=rng.randint(-12, 12))
            shifts.append(
                {
                    "contractor_id": cid,
                    "queue_id": hate,
                    "starts_at": at,
                    "ends_at": at + dt.timedelta(hours=rng.choice((4, 6, 8))),
                    "status": "scheduled",
                    "sequence": 0,
                    "needs_cover": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for day in range(0, 7):
            if rng.random() < 0.5:
                exposure.append(
                    {
                        "contractor_id": cid,
                        "local_day": start.date() - dt.timedelta(days=day),
                        "tier": 3,
                        "category": "violence_gore",
                        "queue_id": violence,
                        "modality": "unknown",
                        "mitigations": "unknown",
                        "seconds": rng.randint(0, 240) * 60,
                        "items": 10,
                        "events": 1,
                    }
                )
    with app.test_request_context(), db.transaction(app) as session:
        for lo in range(0, len(shifts), 5000):
            session.execute(insert(Shift), shifts[lo : lo + 5000])
        for lo in range(0, len(exposure), 5000):
            session.execute(insert(ExposureDaily), exposure[lo : lo + 5000])
        rebuild_contractor_days(session)  # the per-day totals the ingest keeps beside them
        if db.is_postgresql(session):
            # statistics, as autovacuum gathers after a bulk load: without them the
            # planner takes these freshly filled tables for empty ones
            session.execute(text("ANALYZE"))
        at = start + dt.timedelta(hours=cover_at)
        target = Shift(
            contractor_id=None,
            queue_id=hate,
            starts_at=at,
            ends_at=at + dt.timedelta(hours=4),
            status="scheduled",
            sequence=0,
            needs_cover=False,
        )
        session.add(target)
        session.flush()
        return target.id


def measure(app: Any, shift_id: int, a: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    from workforce.api.offers import COVER_LIMIT_DEFAULT
    from workforce.contractors.models import Contractor
    from workforce.errors import Conflict
    from workforce.queues.models import Queue
    from workforce.scheduling.cover import cover_candidates
    from workforce.scheduling.enforcement import enforce
    from workforce.scheduling.offers import exposure_budget
    from workforce.scheduling.rules import Interval
    from workforce.shifts.models import Shift

    database = db.get_db(app)
    finder: list[float] = []
    everyone: list[float] = []
    found = 0
    with app.test_request_context():
        for run in range(a.runs + 1):
            with database.reader() as session:
                began = time.perf_counter()
                result = cover_candidates(session, shift_id, COVER_LIMIT_DEFAULT)
                took = time.perf_counter() - began
                len(result.excluded)  # ?include_excluded=true: the others and why
                took_all = time.perf_counter() - began
            if run:  # the first warms caches and connections
                finder.append(took)
                everyone.append(took_all)
            found = result.total
            del result  # freed here, not inside the next run's timing
        per_person: list[float] = []
        sample = rng.sample(range(1, a.contractors + 1), min(a.sample, a.contractors))
        with database.reader() as session:
            shift = session.get_one(Shift, shift_id)
            queue = session.get_one(Queue, shift.queue_id)
            interval = Interval(shift.starts_at, shift.ends_at, shift.id)
            for cid in sample:
                began = time.perf_counter()
                contractor = session.get_one(Contractor, cid)
                try:
                    enforce(session, contractor, queue, [interval], None)
                    exposure_budget(session, contractor, queue, shift)
                except Conflict:
                    pass
                per_person.append(time.perf_counter() - began)
    return {
        "finder": finder,
        "with_excluded": everyone,
        "per_person": per_person,
        "candidates": found,
    }


def run(a: argparse.Namespace) -> dict[str, Any]:
    url, label = database_url(a.database_url)
    app = fresh_app(url)
    rng = random.Random(11)
    shift_id = seed(app, a.contractors, rng, a.cover_at)
    m = measure(app, shift_id, a, rng)
    dispose(app)
    finder = statistics.median(m["finder"])
    each = statistics.fmean(m["per_person"])
    everyone = each * a.contractors
    ratio = everyone / finder
    where = f", shift to cover at +{a.cover_at:g} h" if a.cover_at else ""
    print(f"\n== cover finder on {label}: {a.contractors:,} contractors{where} ==")
    print(
        f"cover_candidates, median of {a.runs}: {finder * 1000:.0f} ms "
        f"(max {max(m['finder']) * 1000:.0f} ms); {m['candidates']:,} candidates"
    )
    print(
        f"with the excluded and why (?include_excluded=true), median: "
        f"{statistics.median(m['with_excluded']) * 1000:.0f} ms"
    )
    print(
        f"per-person check (enforce + exposure_budget), mean of {len(m['per_person'])}: "
        f"{each * 1000:.2f} ms (p99 {pct(m['per_person'], 99) * 1000:.2f} ms) -> "
        f"{everyone:.1f} s for everyone"
    )
    print(f"ratio per-person x contractors / cover finder: {ratio:.0f}")
    return {
        "database": label,
        "contractors": a.contractors,
        "cover_median_ms": round(finder * 1000, 1),
        "cover_max_ms": round(max(m["finder"]) * 1000, 1),
        "with_excluded_ms": round(statistics.median(m["with_excluded"]) * 1000, 1),
        "per_person_ms": round(each * 1000, 3),
        "ratio": round(ratio, 1),
        "candidates": m["candidates"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument(
        "--cover-at", type=float, default=0, help="hours after the middle of everyone's week"
    )
    parser.add_argument("--database-url", default=None)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
