"""``flask seed-demo --live``: the living demo world of ``make run`` (issue 21).

About 60 demo contractors in KE, PH, IN, CO and US (three US zones), experts among them,
queues of every tier with fallbacks, two weeks of worked history (shifts, exposure with
modality and mitigations, final pay statements for the last full week), shifts this week and
next with many people on shift right now, and a few people close to their caps so that the
simulated platform (:mod:`workforce.demo.platform`) makes a break fall due and the sweep
rotate someone within minutes. Everything goes through the services, so audit, roll-ups and
signals hold; every name, email and ``external_ref`` says ``demo``.

The seed runs as steps, each in a transaction of its own (:data:`STEPS`), so a long seed
never holds the database's write lock for long while the API is already serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workforce.contractors.credentials import decide, submit_credential
from workforce.contractors.models import Contractor
from workforce.contractors.services import create_contractor, set_consent
from workforce.exposure.ingest import ingest
from workforce.identity.access import create_token, revoke_token
from workforce.pay import policies
from workforce.pay.imports import import_exchange_rates, import_wages
from workforce.pay.models import PayPolicy
from workforce.pay.statement_lifecycle import create_statement, finalize_statement
from workforce.queues.models import Queue
from workforce.queues.services import create_queue
from workforce.scheduling.attendance import clock_in, correct_times
from workforce.scheduling.planning import create_pattern, create_shift
from workforce.timeutil import load_zone, local_date
from workforce.wellbeing.checkins import record_check_in

#: Every live demo contractor's ``external_ref`` starts with this.
LIVE_PREFIX = "demo-live-"
DATA = Path(__file__).resolve().parents[2] / "data"

#: (country, subdivision, time zone, locale, first names, family names)
COUNTRIES: tuple[tuple[str, str | None, str | None, str | None, str, str], ...] = (
    (
        "KE",
        "KE-30",
        None,
        "en_KE",
        "Amani Baraka Chebet Daudi Esther Faith Imani Jabari Kioko Makena Njeri Otieno",
        "Mwangi Njoroge Odhiambo Wafula",
    ),
    (
        "PH",
        None,
        None,
        "fil_PH",
        "Andres Bea Carlo Dianne Emman Flor Gino Hazel Isko Jasmin Kiko Liza",
        "Reyes Cruz Bautista Garcia",
    ),
    (
        "IN",
        "IN-KA",
        None,
        "en_IN",
        "Aarav Bhavna Chetan Divya Eshan Farah Gaurav Hema Ishaan Jaya Kiran Lata",
        "Iyer Sharma Nair Reddy",
    ),
    (
        "CO",
        None,
        None,
        None,
        "Alejandro Beatriz Carlos Daniela Esteban Fernanda Gabriel Helena Ivan Juliana Kevin Laura",
        "Gomez Rodriguez Martinez Lopez",
    ),
    ("US", "US-NY", "America/New_York", None, "Avery Blake Casey", "Miller Brooks"),
    ("US", "US-IL", "America/Chicago", None, "Drew Emerson Finley Gray", "Nguyen Patel"),
    ("US", "US-CA", "America/Los_Angeles", None, "Harper Indigo Jules Kai Logan", "Rivera Chen"),
)

#: Queues of every tier beyond the small seed's (general-labelling 0, clinical-notes 0,
#: harassment-review 2, violent-content 3); ``fallback`` names the queue a rotation moves
#: shifts to.
LIVE_QUEUES: tuple[dict[str, Any], ...] = (
    {
        "slug": "spam-scams",
        "name": "Spam and scams (demo)",
        "tier": 1,
        "categories": ["other_disturbing"],
        "fallback": "general-labelling",
    },
    {
        "slug": "legal-escalations",
        "name": "Legal escalations (demo)",
        "tier": 1,
        "categories": ["hate_extremism"],
        "fallback": "general-labelling",
        "required_credentials": [{"kind": "degree", "code": "JD"}],
    },
    {
        "slug": "self-harm-review",
        "name": "Self-harm review (demo)",
        "tier": 2,
        "categories": ["self_harm"],
        "fallback": "clinical-notes",
        "required_credentials": [{"kind": "license", "code": "RN"}],
    },
    {
        "slug": "hate-speech-es",
        "name": "Hate speech review, Spanish (demo)",
        "tier": 2,
        "categories": ["hate_extremism", "harassment"],
        "language": "es",
        "fallback": "general-labelling",
    },
    {
        "slug": "graphic-video",
        "name": "Graphic video review (demo)",
        "tier": 3,
        "categories": ["violence_gore", "animal_cruelty"],
        "fallback": "general-labelling",
        "required_credentials": [{"kind": "training", "code": "RESILIENCE_TRAINING"}],
    },
)

#: A contractor's place in their country's dozen -> their role in the demo.
#: 0-4 tier 3, 5-7 tier 2, 8-10 tier 1, 11 tier 0 (an expert queue).
TIER3, TIER2, TIER1 = range(0, 5), range(5, 8), range(8, 11)
#: Who is not on shift right now (the others are, in their own zones).
OFF_NOW = (2, 6, 9, 11)
#: Past local days (relative to today) of worked history: never more than two in a row,
#: so no history breaches the consecutive-days limit, and at most 4 a rolling week.
HISTORY_DAYS = (-13, -12, -10, -9, -6, -5, -3, -2)
#: (start minute after 09:00, minutes) of the exposure blocks of a history shift: 20-minute
#: gaps, longer than any tier's break, so no run reaches a continuous limit.
BLOCKS = ((5, 45), (70, 45), (135, 45))
#: The near-cap tier-3 history of the rolling week: 5 blocks a day, 237 minutes a day,
#: 948 minutes on 4 days, 12 under the 960-minute weekly cap.
HEAVY_BLOCKS = ((0, 55), (75, 55), (150, 55), (225, 55), (300, 17))
HEAVY_DAYS = (-6, -5, -3, -2)
#: Minutes of continuous tier-3 exposure ending now for the people a break falls due for
#: (the tier-3 continuous limit is 60 minutes).
NEAR_BREAK_MINUTES = 57
MODALITIES: tuple[tuple[str, list[str]], ...] = (
    ("text", []),
    ("image", ["greyscale"]),
    ("video", ["blurred", "muted"]),
)
#: The WHO-5 answers of the demo's worsening check-ins: 80 % then 60 %, a 20-point fall.
WHO5_BEFORE, WHO5_AFTER = [4, 4, 4, 4, 4], [3, 3, 3, 3, 3]


@dataclass(frozen=True)
class QueueInfo:
    """What the steps need of a queue (plain values: each step has its own session)."""

    id: int
    slug: str
    tier: int
    categories: tuple[str, ...]


@dataclass
class World:
    """What the steps share: the start instant and what earlier steps made."""

    now: dt.datetime
    people: list[dict[str, Any]] = field(default_factory=list)
    queues: dict[str, QueueInfo] = field(default_factory=dict)


def present(session: Session) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Contractor)
            .where(Contractor.external_ref.like(f"{LIVE_PREFIX}%"))
        )
    )


def roster(now: dt.datetime) -> list[dict[str, Any]]:
    """The 60 people: name, country, zone, queue and role, in a fixed order."""
    people: list[dict[str, Any]] = []
    for country, subdivision, zone, locale, firsts, families in COUNTRIES:
        index = sum(1 for p in people if p["country"] == country)
        lasts = families.split()
        for n, first in enumerate(firsts.split()):
            i = index + n
            people.append(
                {
                    "i": i,
                    "country": country,
                    "subdivision": subdivision,
                    "timezone": zone,
                    "locale": locale,
                    "full_name": f"{first} {lasts[n % len(lasts)]} (demo)",
                    "external_ref": f"{LIVE_PREFIX}{country.lower()}-{i + 1:02d}",
                    "email": f"{first.lower()}.{country.lower()}{i + 1:02d}@demo.example.org",
                }
            )
    for person in people:
        person["queue"] = _queue_of(person)
        person["on_now"] = person["i"] not in OFF_NOW
    _choose_near_caps(people, now)
    return people


def _queue_of(person: dict[str, Any]) -> str:
    i, country = person["i"], person["country"]
    if i in TIER3:
        return "violent-content" if i % 2 == 0 else "graphic-video"
    if i in TIER2:
        return {"KE": "harassment-review", "CO": "hate-speech-es", "US": "hate-speech-es"}.get(
            country, "self-harm-review"
        )
    if i in TIER1:
        return "legal-escalations" if (country == "US" and i == 8) else "spam-scams"
    return "clinical-notes" if country in ("KE", "PH", "IN") else "general-labelling"


def _choose_near_caps(people: list[dict[str, Any]], now: dt.datetime) -> None:
    """Two tier-3 people close to the weekly cap (the platform's next minutes rotate them)
    and two close to a break, in zones where the local day is well under way, so that the
    rolling week does not move under them during the demo's first minutes."""

    def hour(p: dict[str, Any]) -> float:
        local = now.astimezone(load_zone(p["zone"]))
        return local.hour + local.minute / 60

    tier3 = [p for p in people if p["i"] in TIER3 and p["on_now"]]
    for p in tier3:
        p["zone"] = p["timezone"] or _default_zone(p["country"])
    ranked = sorted(tier3, key=lambda p: (not 3 <= hour(p) <= 20, abs(hour(p) - 13), p["i"]))
    for p in ranked[:2]:
        p["near"] = "weekly_limit"
    for p in ranked[2:4]:
        p["near"] = "break_due"
    # The worsening wellbeing check-ins: one tier-3 person not close to a cap.
    ranked[4]["who5"] = True


def _default_zone(country: str) -> str:
    return {
        "KE": "Africa/Nairobi",
        "PH": "Asia/Manila",
        "IN": "Asia/Kolkata",
        "CO": "America/Bogota",
    }.get(country, "America/New_York")


# --- the steps -----------------------------------------------------------------------------


def step_queues(session: Session, world: World) -> list[str]:
    existing = {q.slug: q for q in session.scalars(select(Queue))}
    lines = []
    for spec in LIVE_QUEUES:
        if spec["slug"] in existing:
            continue
        values = {k: v for k, v in spec.items() if k != "fallback"}
        values["fallback_queue_id"] = existing[spec["fallback"]].id
        queue = create_queue(session, values)
        existing[queue.slug] = queue
        lines.append(f"queue {queue.slug} (tier {queue.tier})")
    world.queues = {
        q.slug: QueueInfo(q.id, q.slug, q.tier, tuple(q.categories or ()))
        for q in existing.values()
    }
    return lines


def step_contractors(session: Session, world: World) -> list[str]:
    """The contractors, their credentials (verified by the credential services) and their
    consent to sensitive work."""
    world.people = roster(world.now)
    experts = 0
    for p in world.people:
        data = {k: p[k] for k in ("full_name", "email", "external_ref", "country")}
        for optional in ("subdivision", "timezone", "locale"):
            if p[optional]:
                data[optional] = p[optional]
        contractor = create_contractor(session, data)
        p["id"], p["zone"] = contractor.id, contractor.timezone
        creds = _credentials(p)
        experts += any(kind in ("license", "degree") for kind, _ in creds)
        for kind, code in creds:
            credential = submit_credential(session, contractor.id, {"kind": kind, "code": code})
            decide(session, credential.id, "verify", "demo: verified by the seed")
        if world.queues[p["queue"]].tier >= 1:
            set_consent(session, contractor.id, True, given_at=world.now - dt.timedelta(days=30))
    return [f"{len(world.people)} demo contractors, {experts} of them experts (RN, PhD, JD)"]


def _credentials(p: dict[str, Any]) -> list[tuple[str, str]]:
    creds = []
    queue, i, country = p["queue"], p["i"], p["country"]
    if queue in ("violent-content", "graphic-video"):
        creds.append(("training", "RESILIENCE_TRAINING"))
    if queue in ("self-harm-review", "clinical-notes"):
        creds.append(("license", "RN"))
    if queue == "legal-escalations":
        creds.append(("degree", "JD"))
    if i in (3, 10):
        creds.append(("degree", "PHD"))
    language = {"KE": "sw", "PH": "fil", "IN": "hi", "CO": "es", "US": "es"}[country]
    if queue in ("harassment-review", "hate-speech-es") or i % 4 == 1:
        creds.append(("language", language))
    return creds


def step_pay_data(session: Session, world: World) -> list[str]:
    """The shipped illustrative wages and exchange rates, and a pay policy."""
    wages = import_wages(session, (DATA / "wages-example.csv").read_text(encoding="utf-8"))
    rates = import_exchange_rates(
        session, (DATA / "exchange-rates-example.csv").read_text(encoding="utf-8")
    )
    lines = [
        f"wage distributions (illustrative): {wages.created} new, {wages.unchanged} already there",
        f"exchange rates (illustrative): {rates.created} new, {rates.unchanged} already there",
    ]
    if session.scalar(select(func.count()).select_from(PayPolicy)) == 0:
        policy = policies.create_policy(
            session,
            {
                "target_percentile": "65",
                "effective_from": world.now - dt.timedelta(days=90),
                "note": "Demo policy: the 65th percentile of the illustrative local wages",
            },
        )
        lines.append(f"pay policy version {policy.version} (65th percentile)")
    return lines


def step_history(session: Session, world: World) -> list[str]:
    """Two weeks of worked shifts, clocked in and out, and the exposure seen in them."""
    shifts = 0
    events: list[dict[str, Any]] = []
    for p in world.people:
        queue = world.queues[p["queue"]]
        zone = load_zone(p["zone"])
        today = local_date(world.now, zone)
        heavy = p.get("near") == "weekly_limit"
        for offset in HISTORY_DAYS:
            day = today + dt.timedelta(days=offset)
            blocks = HEAVY_BLOCKS if heavy and offset in HEAVY_DAYS else BLOCKS
            start = dt.datetime.combine(day, dt.time(9), zone).astimezone(dt.UTC)
            end = start + dt.timedelta(hours=6 if blocks is HEAVY_BLOCKS else 4)
            shift = create_shift(
                session,
                {
                    "contractor_id": p["id"],
                    "queue_id": queue.id,
                    "starts_at": start,
                    "ends_at": end,
                },
            )
            correct_times(
                session,
                shift.id,
                clock_in_at=start,
                clock_out_at=end,
                reason="demo history: worked as planned",
                now=world.now,
            )
            shifts += 1
            if not queue.categories:  # a tier-0 queue: no harmful content, no exposure
                continue
            for n, (after, minutes) in enumerate(blocks):
                events.append(
                    _event(
                        p, queue, start + dt.timedelta(minutes=after), minutes * 60, n, f"h{offset}"
                    )
                )
    for p in world.people:
        if p.get("near") == "break_due":
            queue = world.queues[p["queue"]]
            start = world.now - dt.timedelta(minutes=NEAR_BREAK_MINUTES)
            for n, after in enumerate(range(0, NEAR_BREAK_MINUTES, 10)):
                minutes = min(10, NEAR_BREAK_MINUTES - after)
                at = start + dt.timedelta(minutes=after)
                events.append(_event(p, queue, at, minutes * 60, n, "now"))
    accepted = _ingest(session, events, world.now)
    return [f"history: {shifts} worked shifts, {accepted} exposure events (14 days)"]


def _event(
    p: dict[str, Any], queue: QueueInfo, start: dt.datetime, seconds: int, n: int, tag: str
) -> dict[str, Any]:
    modality, mitigations = MODALITIES[(p["i"] + n) % len(MODALITIES)]
    return {
        "event_id": f"demo-seed-{p['id']}-{tag}-{n}",
        "contractor_id": p["id"],
        "queue": queue.slug,
        "category": queue.categories[n % len(queue.categories)],
        "started_at": start.isoformat(),
        "duration_seconds": seconds,
        "items": max(1, seconds // 40),
        "modality": modality,
        "mitigations": mitigations,
    }


def _ingest(session: Session, events: list[dict[str, Any]], now: dt.datetime) -> int:
    """Through ingestion itself (runs, roll-ups, audit), with a token of the seed's own,
    revoked once the history is in. Only queues with harm categories see exposure."""
    token, _ = create_token(session, name="demo seed: exposure history", role="ingest")
    events = sorted(events, key=lambda e: e["started_at"])
    accepted = ingest(session, token.id, events, now=now).accepted if events else 0
    revoke_token(session, token.id)
    return accepted


def step_pay(session: Session, world: World) -> list[str]:
    """Final statements for the last full week (Monday to Sunday, local) of everyone."""
    done = 0
    for p in world.people:
        today = local_date(world.now, load_zone(p["zone"]))
        monday = today - dt.timedelta(days=today.weekday() + 7)
        statement = create_statement(
            session,
            p["id"],
            {
                "period_start": monday,
                "period_end": monday + dt.timedelta(days=6),
                "reporting_currency": "USD" if p["country"] != "US" else None,
            },
        )
        finalize_statement(session, statement.id)
        done += 1
    return [f"pay: {done} final statements for last week"]


def step_shifts(session: Session, world: World) -> list[str]:
    """A shift under way now (clocked in) for most, then this week and next on the same
    local hours, four days out of seven."""
    on_now = planned = 0
    top = world.now.replace(minute=0, second=0, microsecond=0)
    for p in world.people:
        queue = world.queues[p["queue"]]
        zone = load_zone(p["zone"])
        start = top - dt.timedelta(hours=1 + p["i"] % 3)
        if p["on_now"]:
            shift = create_shift(
                session,
                {
                    "contractor_id": p["id"],
                    "queue_id": queue.id,
                    "starts_at": start,
                    "ends_at": start + dt.timedelta(hours=6),
                },
            )
            clock_in(session, shift.id, on_behalf=True, now=world.now)
            on_now += 1
        tomorrow = local_date(world.now, zone) + dt.timedelta(days=1)
        weekday = tomorrow.weekday()
        pattern = create_pattern(
            session,
            {
                "contractor_id": p["id"],
                "queue_id": queue.id,
                "days_of_week": [(weekday + k) % 7 for k in (0, 1, 3, 4)],
                "local_start": start.astimezone(zone).time(),
                "duration_minutes": 6 * 60,
                "starts_on": tomorrow,
                "until": tomorrow + dt.timedelta(days=12),
            },
        )
        planned += len(pattern.shifts)
    return [f"shifts: {on_now} on shift now, {planned} planned this week and next"]


def step_wellbeing(session: Session, world: World) -> list[str]:
    """One contractor's two WHO-5 check-ins, the second 20 points lower: a counsellor sees a
    ``worsening`` referral (the wellbeing services decide; nothing here names the person)."""
    person = next(p for p in world.people if p.get("who5"))
    cutoff = int(current_app.config["PCL5_CUTOFF"])
    for answers in (WHO5_BEFORE, WHO5_AFTER):
        record_check_in(session, person["id"], "who5", answers, pcl5_cutoff=cutoff)
    return ["wellbeing: two check-ins recorded (what they say is for counsellors only)"]


Step = Callable[[Session, World], list[str]]
#: (what the step does, for the progress lines, the step)
STEPS: Sequence[tuple[str, Step]] = (
    ("queues of every tier", step_queues),
    ("contractors and credentials", step_contractors),
    ("wages, exchange rates and a pay policy", step_pay_data),
    ("two weeks of history", step_history),
    ("last week's pay statements", step_pay),
    ("shifts now, this week and next", step_shifts),
    ("wellbeing check-ins", step_wellbeing),
)
