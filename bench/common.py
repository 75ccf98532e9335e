"""What the benchmarks share: a fresh migrated database, a synthetic workforce, timing."""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from workforce import create_app, db  # noqa: E402
from workforce.cli import upgrade  # noqa: E402

#: Zones of places where moderation work is done; none observes DST (see eligibility.py).
ZONES = (
    "Africa/Nairobi",  # UTC+3
    "Asia/Manila",  # UTC+8
    "America/Bogota",  # UTC-5
    "Asia/Kolkata",  # UTC+5:30
    "Africa/Lagos",  # UTC+1
    "Asia/Jakarta",  # UTC+7
)
#: A realistic mix of queues: most work is low or high tier, some egregious, some safe.
QUEUES = (
    ("general", 0, []),
    ("spam-harassment", 1, ["harassment", "sexual_content"]),
    ("adult", 1, ["sexual_content"]),
    ("hate", 2, ["hate_extremism", "harassment"]),
    ("self-harm", 2, ["self_harm"]),
    ("violence", 3, ["violence_gore", "animal_cruelty"]),
    ("csam", 3, ["child_sexual_abuse"]),
)
#: How often each queue is the one an event comes from.
QUEUE_WEIGHTS = (10, 30, 10, 20, 10, 15, 5)


def database_url(arg: str | None) -> tuple[str, str]:
    """``(url, label)``: the given URL, WORKFORCE_BENCH_DATABASE_URL, the throwaway
    WORKFORCE_TEST_DATABASE_URL of scripts/with-postgres, or a fresh SQLite file."""
    url = (
        arg
        or os.environ.get("WORKFORCE_BENCH_DATABASE_URL", "")
        or os.environ.get("WORKFORCE_TEST_DATABASE_URL", "")
    )
    if url:
        return url, "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    path = Path(tempfile.mkdtemp(prefix="workforce-bench-")) / "bench.sqlite3"
    return f"sqlite:///{path}", "SQLite"


def fresh_app(url: str) -> Flask:
    """An app on an empty database migrated to head (a PostgreSQL schema is recreated)."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    # A throwaway key: nothing a benchmark signs outlives it.
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": secrets.token_urlsafe(32)}
    )
    upgrade(app)
    return app


def seed_workforce(
    app: Flask,
    contractors: int,
    seed: int = 7,
    countries: tuple[str, ...] = ("KE",),
    zone_of: Callable[[int], str] | None = None,
) -> dict[str, Any]:
    """Contractors (bulk, consenting, spread over ``countries`` in turn and over ZONES: at
    random, or contractor ``n``'s zone is ``zone_of(n)``) and QUEUES; returns their ids."""
    from workforce.contractors.models import Contractor
    from workforce.identity.access import create_token
    from workforce.queues.models import Queue

    rng = random.Random(seed)
    zone_of = zone_of or (lambda n: rng.choice(ZONES))
    now = db.utcnow()
    consent = now - dt.timedelta(days=800)
    rows = [
        {
            "external_ref": f"ref-{n}",
            "full_name": f"Contractor {n}",
            "email": f"c{n}@example.org",
            "country": countries[n % len(countries)],
            "timezone": zone_of(n),
            "locale": "en_KE",
            "currency": "KES",
            "status": "active",
            "sensitive_consent_at": consent,
            "opt_outs": [],
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1, contractors + 1)
    ]
    with app.test_request_context(), db.transaction(app) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Contractor), rows[start : start + 5000])
        for slug, tier, categories in QUEUES:
            session.add(
                Queue(
                    slug=slug,
                    name=slug,
                    tier=tier,
                    categories=categories,
                    required_credentials=[],
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        queues = {q.slug: (q.id, q.tier, q.categories) for q in session.query(Queue)}
        ids = [cid for (cid,) in session.execute(text("SELECT id FROM contractors ORDER BY id"))]
        zones = dict(session.execute(text("SELECT id, timezone FROM contractors")).all())
        token, raw = create_token(session, name="bench platform", role="ingest")
    return {
        "contractors": ids,
        "zones": zones,
        "queues": queues,
        "token": raw,
        "token_id": token.id,
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def describe(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1000:.2f} ms, p99 {percentile(values, 99) * 1000:.2f} ms,"
        f" mean {statistics.fmean(values) * 1000:.2f} ms"
    )


def dispose(app: Flask) -> None:
    """Close the app's connections; a SQLite file this module made is removed."""
    url = app.config["DATABASE_URL"]
    db.get_db(app).dispose()
    if url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        if folder.name.startswith("workforce-bench-"):
            shutil.rmtree(folder, ignore_errors=True)
