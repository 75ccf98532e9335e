"""Shift offers (drop and swap): a contractor offers their shift, a colleague accepts it,
ops (or the auto-approve policy) approve, and only then does the shift move.

Every rule is checked for the taker when they accept and again at approval
(:func:`check_moves`): eligibility (credentials, consent, opt-outs, rotation, exposure
standing) and the hour rules through :func:`workforce.scheduling.enforcement.enforce`
(overlap, rest, length, weekly hours, and whatever rules are added there), then the
exposure budget projected over the shift (:func:`exposure_budget`). The giver keeps the
shift until approval; approval writes a :class:`ShiftHandover`, so the giver's calendar
feed shows the event ``CANCELLED`` with the shift's new sequence.

A swap is two offers accepted together: the taker names one of their own shifts
(``swap_shift_id``), which becomes an accepted offer back to the giver. Both move, or
neither does.

Concurrency: accepting is a conditional ``UPDATE ... WHERE status = 'open'`` (one taker
wins, the other gets 409 ``offer_taken``), and the unique partial index
``uq_shift_offers_live_shift`` allows one live offer per shift. Approval locks every
contractor involved (in id order) before the rules read their shifts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import Contractor
from workforce.contractors.services import get_contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.exposure.standing import standing
from workforce.harm import SENSITIVE_TIER
from workforce.holidays import holiday_lookup
from workforce.i18n import parse_locale
from workforce.notifications.services import notify_once
from workforce.queues.models import Queue
from workforce.scheduling.cover import cover_candidates
from workforce.scheduling.enforcement import enforce, lock_contractor
from workforce.scheduling.models import LIVE_OFFER_STATUSES, ShiftOffer
from workforce.scheduling.queries import get_shift
from workforce.scheduling.rules import Interval
from workforce.scheduling.schedule import entry
from workforce.shifts.models import Shift, ShiftHandover

__all__ = [
    "Move",
    "accept_offer",
    "approve_offer",
    "auto_approve",
    "check_moves",
    "exposure_budget",
    "get_offer",
    "my_offers",
    "offer_fields",
    "offer_shift",
    "offer_to",
    "offerable_shifts",
    "offers_for",
    "offers_query",
    "reject_offer",
    "shifts_of",
    "withdraw_offer",
]


@dataclass(frozen=True)
class Move:
    """``shift`` goes to ``taker``."""

    shift: Shift
    taker: Contractor


def auto_approve() -> bool:
    """The policy ``SHIFT_OFFERS_AUTO_APPROVE``: approve at acceptance when every rule holds."""
    return bool(has_app_context() and current_app.config.get("SHIFT_OFFERS_AUTO_APPROVE"))


def get_offer(session: Session, offer_id: int) -> ShiftOffer:
    offer = session.get(ShiftOffer, offer_id)
    if offer is None:
        raise NotFound(f"shift offer {offer_id} does not exist")
    return offer


def _notify(
    session: Session, offer: ShiftOffer, event: str, contractor_ids: Sequence[int | None]
) -> None:
    """Each party hears of each event once (``shift_offer.<event>``)."""
    shift = session.get_one(Shift, offer.shift_id)
    for contractor_id in dict.fromkeys(c for c in contractor_ids if c is not None):
        notify_once(
            session,
            kind=f"shift_offer.{event}",
            audience="contractor",
            dedupe_key=f"shift_offer:{offer.id}:{event}:{contractor_id}",
            payload={
                "offer_id": offer.id,
                "shift_id": offer.shift_id,
                "starts_at": shift.starts_at.isoformat(),
            },
            contractor_id=contractor_id,
        )


def _offerable(shift: Shift) -> bool:
    """Scheduled, or cancelled by a rotation and waiting for cover."""
    return shift.status == "scheduled" or (shift.status == "cancelled" and shift.needs_cover)


def _require_offerable(shift: Shift, now: dt.datetime) -> None:
    if not _offerable(shift):
        raise Conflict(f"a {shift.status} shift cannot be offered", code="shift_not_editable")
    if shift.starts_at <= now:
        raise Conflict("the shift has already started", code="shift_started")


def _live_offer(session: Session, shift_id: int) -> ShiftOffer | None:
    return session.scalars(
        select(ShiftOffer).where(
            ShiftOffer.shift_id == shift_id, ShiftOffer.status.in_(LIVE_OFFER_STATUSES)
        )
    ).first()


def offer_shift(
    session: Session,
    contractor_id: int,
    shift_id: int,
    to_contractor_id: int | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> ShiftOffer:
    """Offer one's own future scheduled shift, to one colleague or to anyone eligible."""
    now = now or utcnow()
    shift = session.get(Shift, shift_id)
    if shift is None or shift.contractor_id != contractor_id:
        raise NotFound(f"shift {shift_id} does not exist")
    _require_offerable(shift, now)
    if to_contractor_id is not None:
        if to_contractor_id == contractor_id:
            raise InvalidInput.field("to_contractor_id", "you cannot offer a shift to yourself")
        target = session.get(Contractor, to_contractor_id)
        if target is None or target.status != "active":
            raise InvalidInput.field(
                "to_contractor_id", f"contractor {to_contractor_id} does not exist"
            )
    if _live_offer(session, shift.id) is not None:
        raise Conflict("the shift is already on offer", code="offer_exists")
    offer = ShiftOffer(
        shift_id=shift.id,
        from_contractor_id=contractor_id,
        to_contractor_id=to_contractor_id,
        reason=reason,
        status="open",
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        "shift_offer.create",
        "shift_offer",
        offer.id,
        {
            "shift_id": shift.id,
            "from_contractor_id": contractor_id,
            "to_contractor_id": to_contractor_id,
        },
    )
    _notify(session, offer, "offered", [to_contractor_id])
    return offer


def exposure_budget(session: Session, contractor: Contractor, queue: Queue, shift: Shift) -> None:
    """409 ``daily_limit`` if the exposure the contractor already has on the shift's local
    day, plus the whole shift, would pass a daily cap of the policy (each tier up to the
    queue's; a tier-t cap counts exposure at tier t and above, docs/exposure.md)."""
    if queue.tier < SENSITIVE_TIER:
        return
    now = standing(session, contractor, shift.starts_at)
    shift_seconds = int((shift.ends_at - shift.starts_at).total_seconds())
    for tier in now.applicable(queue.tier):
        if tier.daily_cap_minutes is None:
            continue
        projected = tier.today_seconds + shift_seconds
        if projected > tier.daily_cap_minutes * 60:
            raise Conflict(
                f"contractor {contractor.id} would have {projected // 60} minutes at tier "
                f"{tier.tier} or above on {now.today.isoformat()}, past the daily cap of "
                f"{tier.daily_cap_minutes}",
                code="daily_limit",
                extra={
                    "contractor_id": contractor.id,
                    "tier": tier.tier,
                    "local_day": now.today.isoformat(),
                    "used_minutes": tier.today_seconds // 60,
                    "shift_minutes": shift_seconds // 60,
                    "daily_cap_minutes": tier.daily_cap_minutes,
                },
            )


def check_moves(session: Session, moves: Sequence[Move], *, keep: bool) -> None:
    """Every rule for every taker, as if all ``moves`` had happened (a swap's two shifts
    leave their givers together); a 409 with the rule's ``code`` for the first that fails.
    ``keep``: leave the shifts moved (approval), else put them back (a check only)."""
    before = [(move.shift, move.shift.contractor_id) for move in moves]
    for move in moves:
        move.shift.contractor_id = move.taker.id
    ok = False
    try:
        session.flush()
        for move in moves:
            queue = session.get_one(Queue, move.shift.queue_id)
            interval = Interval(move.shift.starts_at, move.shift.ends_at, move.shift.id)
            enforce(session, move.taker, queue, [interval], None)
            exposure_budget(session, move.taker, queue, move.shift)
        ok = True
    finally:
        if not keep or not ok:
            for shift, holder in before:
                shift.contractor_id = holder
            if ok:
                session.flush()


def _pair(session: Session, offer: ShiftOffer) -> list[ShiftOffer]:
    """The offer, and the other half of its swap if it has one."""
    if offer.swap_offer_id is None:
        return [offer]
    return [offer, session.get_one(ShiftOffer, offer.swap_offer_id)]


def _moves(session: Session, offers: Sequence[ShiftOffer], now: dt.datetime) -> list[Move]:
    """Lock every contractor involved (in id order, so two approvals cannot deadlock) and
    check that each shift is still the giver's, scheduled and in the future."""
    people = sorted(
        {o.from_contractor_id for o in offers if o.from_contractor_id is not None}
        | {o.taker_id for o in offers if o.taker_id is not None}
    )
    locked = {pid: lock_contractor(session, pid, "taker_id") for pid in people}
    moves = []
    for offer in offers:
        shift = session.get_one(Shift, offer.shift_id)
        session.refresh(shift)
        if shift.contractor_id != offer.from_contractor_id or not _offerable(shift):
            raise Conflict(f"shift {shift.id} changed since it was offered", code="offer_stale")
        if shift.starts_at <= now:
            raise Conflict("the shift has already started", code="shift_started")
        assert offer.taker_id is not None
        moves.append(Move(shift, locked[offer.taker_id]))
    return moves


def accept_offer(
    session: Session,
    offer_id: int,
    contractor_id: int,
    swap_shift_id: int | None = None,
    now: dt.datetime | None = None,
) -> ShiftOffer:
    """Take an open offer (optionally giving one of one's own shifts back: a swap). Every
    rule is checked for both takers now, and again at approval; with the auto-approve
    policy the move happens at once."""
    now = now or utcnow()
    offer = get_offer(session, offer_id)
    if offer.to_contractor_id not in (None, contractor_id):
        raise NotFound(f"shift offer {offer_id} does not exist")
    if offer.from_contractor_id == contractor_id:
        raise Conflict("you cannot take your own offer", code="own_offer")
    if offer.status != "open":
        raise Conflict(f"the offer is {offer.status}", code="offer_taken")
    back: ShiftOffer | None = None
    if swap_shift_id is not None:
        mine = session.get(Shift, swap_shift_id)
        if mine is None or mine.contractor_id != contractor_id:
            raise InvalidInput.field("swap_shift_id", f"shift {swap_shift_id} is not yours")
        if mine.status != "scheduled" or mine.starts_at <= now:
            raise InvalidInput.field("swap_shift_id", "must be a scheduled shift in the future")
        if _live_offer(session, mine.id) is not None:
            raise Conflict("your shift is already on offer", code="offer_exists")
    # The race: the first taker's conditional update wins, the next finds no open row; a
    # taker of another offer of the same shift meets the unique partial index instead.
    try:
        result = session.execute(
            update(ShiftOffer)
            .where(ShiftOffer.id == offer.id, ShiftOffer.status == "open")
            .values(status="accepted", taker_id=contractor_id, accepted_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as error:
        raise Conflict("another contractor took the shift first", code="offer_taken") from error
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("another contractor took the offer first", code="offer_taken")
    session.refresh(offer)
    # the other offers of the shift (ops offered it to several) are over
    ended = session.scalars(
        update(ShiftOffer)
        .where(
            ShiftOffer.shift_id == offer.shift_id,
            ShiftOffer.status == "open",
            ShiftOffer.id != offer.id,
        )
        .values(status="withdrawn", updated_at=now)
        .returning(ShiftOffer.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    if swap_shift_id is not None:
        back = ShiftOffer(
            shift_id=swap_shift_id,
            from_contractor_id=contractor_id,
            to_contractor_id=offer.from_contractor_id,
            reason=offer.reason,
            status="accepted",
            taker_id=offer.from_contractor_id,
            accepted_at=now,
            swap_offer_id=offer.id,
        )
        session.add(back)
        session.flush()
        offer.swap_offer_id = back.id
        session.flush()
    offers = _pair(session, offer)
    moves = _moves(session, offers, now)
    policy = auto_approve()
    check_moves(session, moves, keep=False)
    audit.record(
        session,
        "shift_offer.accept",
        "shift_offer",
        offer.id,
        {
            "taker_id": contractor_id,
            "swap_offer_id": offer.swap_offer_id,
            "withdrawn_offer_ids": sorted(ended),
        },
    )
    for each in offers:
        _notify(session, each, "accepted", [each.from_contractor_id, each.taker_id])
    if policy:
        _approve(session, offers, moves, None, "policy", now)
    return offer


def _approve(
    session: Session,
    offers: Sequence[ShiftOffer],
    moves: Sequence[Move],
    comment: str | None,
    decided_by: str,
    now: dt.datetime,
) -> None:
    check_moves(session, moves, keep=True)
    for offer, move in zip(offers, moves, strict=True):
        shift = move.shift
        shift.sequence += 1
        shift.needs_cover = False
        shift.override_reason = None
        if offer.from_contractor_id is not None:
            session.add(
                ShiftHandover(
                    shift_id=shift.id,
                    contractor_id=offer.from_contractor_id,
                    starts_at=shift.starts_at,
                    ends_at=shift.ends_at,
                    sequence=shift.sequence,
                )
            )
        if shift.status == "cancelled":  # a rotation left it waiting for cover
            shift.status = "scheduled"
            shift.cancel_reason = None
    _decide(session, offers, "approved", comment, decided_by, now)


def _decide(
    session: Session,
    offers: Sequence[ShiftOffer],
    status: str,
    comment: str | None,
    decided_by: str,
    now: dt.datetime,
) -> None:
    """Record ops' decision on each offer, audit it, and tell the giver and the taker (or
    the colleague it was meant for, when nobody accepted yet)."""
    for offer in offers:
        offer.status = status
        offer.decided_at = now
        offer.decided_by = decided_by
        offer.comment = comment
    session.flush()
    action = {"approved": "approve", "rejected": "reject"}[status]
    for offer in offers:
        audit.record(
            session,
            f"shift_offer.{action}",
            "shift_offer",
            offer.id,
            {
                "shift_id": offer.shift_id,
                "from_contractor_id": offer.from_contractor_id,
                "taker_id": offer.taker_id,
                "decided_by": decided_by,
                "comment": comment,
            },
        )
        _notify(
            session,
            offer,
            status,
            [offer.from_contractor_id, offer.taker_id or offer.to_contractor_id],
        )


def _decidable(
    session: Session, offer_id: int, statuses: Sequence[str] = ("accepted",)
) -> list[ShiftOffer]:
    offers = _pair(session, get_offer(session, offer_id))
    for offer in offers:
        if offer.status not in statuses:
            raise Conflict(
                f"offer {offer.id} is {offer.status}; only an accepted offer is decided",
                code="offer_not_accepted",
            )
    return offers


def approve_offer(
    session: Session,
    offer_id: int,
    comment: str | None,
    decided_by: str,
    now: dt.datetime | None = None,
) -> ShiftOffer:
    """Move the shift (both shifts of a swap, or neither) after every rule holds again."""
    now = now or utcnow()
    offers = _decidable(session, offer_id)
    moves = _moves(session, offers, now)
    _approve(session, offers, moves, comment, decided_by, now)
    return offers[0]


def reject_offer(
    session: Session,
    offer_id: int,
    comment: str | None,
    decided_by: str,
    now: dt.datetime | None = None,
) -> ShiftOffer:
    """Refuse the move (both halves of a swap), before or after someone accepted it; the
    givers keep their shifts."""
    now = now or utcnow()
    offers = _decidable(session, offer_id, LIVE_OFFER_STATUSES)
    _decide(session, offers, "rejected", comment, decided_by, now)
    return offers[0]


def withdraw_offer(session: Session, offer_id: int, contractor_id: int) -> ShiftOffer:
    """The giver takes an open or accepted offer back (both halves of a swap)."""
    offer = get_offer(session, offer_id)
    if contractor_id not in (offer.from_contractor_id,):
        raise NotFound(f"shift offer {offer_id} does not exist")
    offers = _pair(session, offer)
    for each in offers:
        if each.status not in LIVE_OFFER_STATUSES:
            raise Conflict(f"the offer is {each.status}", code="offer_not_live")
    for each in offers:
        each.status = "withdrawn"
    session.flush()
    audit.record(
        session,
        "shift_offer.withdraw",
        "shift_offer",
        offer.id,
        {"shift_id": offer.shift_id, "swap_offer_id": offer.swap_offer_id},
    )
    for each in offers:
        _notify(
            session,
            each,
            "withdrawn",
            [each.from_contractor_id, each.taker_id, each.to_contractor_id],
        )
    return offer


def offers_query(
    *,
    status: str | None = None,
    shift_id: int | None = None,
    contractor_id: int | None = None,
) -> Select[tuple[ShiftOffer]]:
    """Offers, newest first; ``contractor_id`` matches giver, addressee or taker."""
    stmt = select(ShiftOffer).order_by(ShiftOffer.created_at.desc(), ShiftOffer.id.desc())
    if status is not None:
        stmt = stmt.where(ShiftOffer.status == status)
    if shift_id is not None:
        stmt = stmt.where(ShiftOffer.shift_id == shift_id)
    if contractor_id is not None:
        stmt = stmt.where(
            or_(
                ShiftOffer.from_contractor_id == contractor_id,
                ShiftOffer.to_contractor_id == contractor_id,
                ShiftOffer.taker_id == contractor_id,
            )
        )
    return stmt


def offers_for(
    session: Session, contractor_id: int, now: dt.datetime | None = None
) -> list[tuple[ShiftOffer, Shift, Queue]]:
    """Open offers of others' future shifts that ``contractor_id`` may take now: every rule
    is checked for them (a 409 of any rule hides the offer)."""
    now = now or utcnow()
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound(f"contractor {contractor_id} does not exist")
    rows = session.execute(
        select(ShiftOffer, Shift, Queue)
        .join(Shift, Shift.id == ShiftOffer.shift_id)
        .join(Queue, Queue.id == Shift.queue_id)
        .where(
            ShiftOffer.status == "open",
            or_(
                ShiftOffer.from_contractor_id.is_(None),
                ShiftOffer.from_contractor_id != contractor_id,
            ),
            or_(
                ShiftOffer.to_contractor_id.is_(None),
                ShiftOffer.to_contractor_id == contractor_id,
            ),
            or_(Shift.status == "scheduled", Shift.needs_cover.is_(True)),
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, ShiftOffer.id)
    ).all()
    found = []
    for offer, shift, queue in rows:
        if not _offerable(shift):
            continue
        try:
            enforce(
                session,
                contractor,
                queue,
                [Interval(shift.starts_at, shift.ends_at, shift.id)],
                None,
            )
            exposure_budget(session, contractor, queue, shift)
        except Conflict:
            continue
        found.append((offer, shift, queue))
    return found


def offer_to(
    session: Session, shift_id: int, top: int, now: dt.datetime | None = None
) -> list[ShiftOffer]:
    """Ops send a shift as an offer to the cover finder's ``top`` best candidates (those
    already offered it are skipped); the first to accept takes it, the other offers end."""
    now = now or utcnow()
    shift = get_shift(session, shift_id)
    _require_offerable(shift, now)
    already = set(
        session.scalars(
            select(ShiftOffer.to_contractor_id).where(
                ShiftOffer.shift_id == shift.id, ShiftOffer.status.in_(LIVE_OFFER_STATUSES)
            )
        )
    )
    found = cover_candidates(session, shift.id, limit=top + len(already))
    chosen = [c for c in found.candidates if c.contractor_id not in already][:top]
    offers = [
        ShiftOffer(
            shift_id=shift.id,
            from_contractor_id=shift.contractor_id,
            to_contractor_id=c.contractor_id,
            status="open",
        )
        for c in chosen
    ]
    session.add_all(offers)
    session.flush()
    audit.record(
        session,
        "shift_offer.offer_to",
        "shift",
        shift.id,
        {"top": top, "offer_ids": [o.id for o in offers], "to": [c.contractor_id for c in chosen]},
    )
    for offer in offers:
        _notify(session, offer, "offered", [offer.to_contractor_id])
    return offers


def offer_fields(offer: ShiftOffer) -> dict[str, Any]:
    return {
        name: getattr(offer, name)
        for name in (
            "id",
            "shift_id",
            "from_contractor_id",
            "to_contractor_id",
            "reason",
            "status",
            "taker_id",
            "accepted_at",
            "swap_offer_id",
            "decided_at",
            "decided_by",
            "comment",
            "created_at",
            "updated_at",
        )
    }


def my_offers(
    session: Session,
    contractor_id: int,
    now: dt.datetime | None = None,
    locale_name: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`offers_for` with each shift as a schedule entry of the contractor: local
    times in their zone, the queue's name, holidays and display strings in their locale
    (or ``locale_name``)."""
    contractor = get_contractor(session, contractor_id)
    locale = parse_locale(locale_name or contractor.locale)
    holidays = holiday_lookup(contractor.country, contractor.subdivision, locale)
    return [
        {**offer_fields(offer), "shift": entry(shift, queue, contractor.timezone, locale, holidays)}
        for offer, shift, queue in offers_for(session, contractor_id, now)
    ]


def shifts_of(session: Session, found: Sequence[ShiftOffer]) -> dict[int, Shift]:
    """The shifts of some offers, by id (one query)."""
    ids = {o.shift_id for o in found}
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(select(Shift).where(Shift.id.in_(ids)))}


def offerable_shifts(
    session: Session, contractor_id: int, limit: int, now: dt.datetime | None = None
) -> list[Shift]:
    """The contractor's future scheduled shifts that are not on offer yet, soonest first."""
    now = now or utcnow()
    live = select(ShiftOffer.shift_id).where(ShiftOffer.status.in_(LIVE_OFFER_STATUSES))
    return list(
        session.scalars(
            select(Shift)
            .where(
                Shift.contractor_id == contractor_id,
                Shift.status == "scheduled",
                Shift.starts_at > now,
                Shift.id.not_in(live),
            )
            .order_by(Shift.starts_at, Shift.id)
            .limit(limit)
        )
    )
