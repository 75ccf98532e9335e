"""Signed-in pages about work: schedule, exposure, rotations, pay, notifications, calendar.

Each page calls the service its ``/api/v1/me/...`` twin calls and only formats the result
for the reader (their language, their locale's formats, their time zone).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from workforce import db
from workforce.contractors.models import Contractor
from workforce.errors import Conflict, NotFound
from workforce.exposure.view import exposure_view
from workforce.holidays import holiday_lookup
from workforce.http import download
from workforce.notifications import preferences
from workforce.notifications import services as notification_service
from workforce.notifications.email import CONTRACTOR_TEXTS, REQUIRED
from workforce.notifications.models import Notification
from workforce.pay.slip import SlipSettings, render_pdf
from workforce.pay.statement_lifecycle import statements_query, visible_statement
from workforce.portal.web import page, render
from workforce.rotations import services as rotation_service
from workforce.rotations.explain import summary
from workforce.rotations.models import Rotation
from workforce.scheduling import feed, offers
from workforce.scheduling import schedule as schedule_service
from workforce.scheduling.models import LIVE_OFFER_STATUSES
from workforce.timeutil import load_zone, local_date
from workforce.translation import (
    N_,
    credential_label,
    current_locale,
    format_date,
    format_datetime,
)
from workforce.translation import gettext as _

#: Shifts read for the two weeks shown (a fortnight has far fewer).
MAX_SHIFTS = 500
#: Rows shown on the lists (rotations, pay statements, notifications), newest first.
LIST_LIMIT = 50
#: The API's limit on a review comment.
MAX_COMMENT = 2000

SHIFT_STATUS_LABELS = {
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
    "missed": N_("Missed"),
}
TIER_LABELS = {
    1: N_("Tier 1: mildly disturbing content"),
    2: N_("Tier 2: highly disturbing content"),
    3: N_("Tier 3: the most disturbing content"),
}
ROTATION_REASON_LABELS = {
    "daily_limit": N_("Daily limit reached"),
    "weekly_limit": N_("7-day limit reached"),
    "consecutive_days": N_("Too many days in a row"),
    "planned": N_("Planned break"),
    "credential_expired": N_("Credential expired"),
    "wellbeing": N_("Wellbeing break"),
    "self_requested": N_("Break you asked for"),
    "manual": N_("Set by operations"),
}
ROTATION_STATUS_LABELS = {
    "active": N_("Active"),
    "ended": N_("Ended"),
    "overturned": N_("Overturned after review"),
}
REVIEW_STATUS_LABELS = {
    "requested": N_("Review requested: a person at operations will answer."),
    "upheld": N_("Reviewed: the rotation was kept."),
    "overturned": N_("Reviewed: the rotation was ended."),
}
STATEMENT_KIND_LABELS = {
    "regular": N_("Pay statement"),
    "adjustment": N_("Adjustment"),
}

OFFER_STATUS_LABELS = {
    "open": N_("Waiting for a colleague to take it"),
    "accepted": N_("Taken: waiting for approval by operations"),
    "approved": N_("Approved"),
    "rejected": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
OFFER_NOTICES = {
    "shift_offer.offered": N_("A shift of %(when)s is offered to you."),
    "shift_offer.accepted": N_("The shift offer of %(when)s was taken; it waits for approval."),
    "shift_offer.approved": N_("The shift offer of %(when)s was approved."),
    "shift_offer.rejected": N_("The shift offer of %(when)s was declined."),
    "shift_offer.withdrawn": N_("The shift offer of %(when)s was withdrawn."),
}
#: What a refused accept or withdraw tells the contractor, by problem code.
OFFER_PROBLEMS = {
    "offer_taken": N_("Someone else took this shift first."),
    "offer_not_live": N_("This offer is no longer open."),
    "own_offer": N_("This is your own offer."),
    "offer_exists": N_("This shift is already on offer."),
    "offer_stale": N_("This shift changed since it was offered. Look at the offer again."),
    # the rules a move is checked against (api/offers.MOVE_RULE_CODES), in the person's words
    "not_eligible": N_(
        "You may not take this shift: its queue needs a credential, consent or an end of "
        "rotation you do not have."
    ),
    "overlap": N_("You may not take this shift: it overlaps another of your shifts."),
    "rest_too_short": N_(
        "You may not take this shift: it leaves too little rest between your shifts."
    ),
    "shift_too_long": N_(
        "You may not take this shift: it is longer than a shift may be where you work."
    ),
    "weekly_hours_exceeded": N_(
        "You may not take this shift: it would take you over your weekly working hours."
    ),
    "on_leave": N_("You may not take this shift: it falls in your approved time off."),
    "outside_availability": N_(
        "You may not take this shift: it is outside the times you said you can work."
    ),
    "daily_limit": N_(
        "You may not take this shift: it would take you past your daily exposure limit."
    ),
}


# --- schedule --------------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    holiday: str | None
    shifts: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)


@page(
    "/schedule",
    nav=N_("My schedule"),
    summary=N_("This week and next, in your local time, with public holidays."),
    order=10,
)
def schedule(contractor: Contractor) -> ResponseReturnValue:
    now = db.utcnow()
    locale = current_locale()
    result = schedule_service.schedule(
        db.session(),
        contractor.id,
        start=None,
        end=None,
        locale=str(locale),
        include_cancelled=True,
        page=1,
        page_size=MAX_SHIFTS,
        now=now,
    )
    holidays = holiday_lookup(contractor.country, contractor.subdivision, locale)
    pieces: dict[dt.date, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for item in result["items"]:
        for piece in item["days"]:
            pieces[piece["date"]].append((item, piece))
    start, end = result["from"], result["to"]
    days = [
        Day(day, holidays(day), pieces.get(day, []))
        for day in (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    ]
    weeks = [
        (_("This week") if i == 0 else _("Next week"), days[i : i + 7])
        for i in range(0, len(days), 7)
    ]
    return render(
        "portal/schedule.html",
        weeks=weeks,
        today=local_date(now, load_zone(contractor.timezone)),
        statuses=SHIFT_STATUS_LABELS,
    )


# --- shift offers ----------------------------------------------------------------------------


@page(
    "/offers",
    nav=N_("Shift offers"),
    summary=N_("Shifts colleagues offer that you may take, and the shifts you offered."),
    order=15,
    methods=("GET", "POST"),
)
def shift_offers(contractor: Contractor) -> ResponseReturnValue:
    session = db.session()
    if request.method == "POST":
        action = request.form.get("action")
        raw = request.form.get("shift" if action == "offer" else "offer", "")
        if not (raw.isdigit() and len(raw) < 10) or action not in ("accept", "withdraw", "offer"):
            flash(_("Choose one of the options and try again."), "warning")
            return redirect(url_for("portal.shift_offers"), 303)
        try:
            if action == "offer":
                offers.offer_shift(session, contractor.id, int(raw))
                flash(
                    _("Your shift is on offer. It stays yours until a move is approved."), "success"
                )
            elif action == "accept":
                offers.accept_offer(session, int(raw), contractor.id)
                flash(_("You took the shift. Operations will confirm the move."), "success")
            else:
                offers.withdraw_offer(session, int(raw), contractor.id)
                flash(_("Your offer is withdrawn. The shift stays yours."), "success")
        except NotFound:
            flash(_("This offer is no longer open."), "warning")
        except Conflict as conflict:
            session.rollback()
            message = OFFER_PROBLEMS.get(conflict.code or "")
            flash(
                _(message)
                if message
                else _("You may not take this shift: a work rule forbids it."),
                "warning",
            )
        return redirect(url_for("portal.shift_offers"), 303)
    open_to_me = offers.my_offers(session, contractor.id)
    mine = session.scalars(
        offers.offers_query(contractor_id=contractor.id)
        .where(offers.ShiftOffer.status.in_(LIVE_OFFER_STATUSES))
        .limit(LIST_LIMIT)
    ).all()
    return render(
        "portal/offers.html",
        open_to_me=open_to_me,
        mine=[o for o in mine if o.from_contractor_id == contractor.id],
        taken=[o for o in mine if o.taker_id == contractor.id],
        shifts=offers.shifts_of(session, mine),
        offerable=offers.offerable_shifts(session, contractor.id, LIST_LIMIT),
        statuses=OFFER_STATUS_LABELS,
    )


# --- exposure --------------------------------------------------------------------------------


@page(
    "/exposure",
    nav=N_("Exposure budget"),
    summary=N_("How much disturbing content is left for today, and when a break is due."),
    order=20,
)
def exposure(contractor: Contractor) -> ResponseReturnValue:
    view = exposure_view(db.session(), contractor, at=db.utcnow())
    return render("portal/exposure.html", view=view, tiers=TIER_LABELS)


# --- rotations -------------------------------------------------------------------------------


def _review_form(form: Any) -> tuple[int | None, str, str | None]:
    """The rotation asked about, the comment, and what is wrong with them."""
    raw = form.get("rotation", "")
    rotation_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    comment = form.get("comment", "").strip()
    if not comment:
        return rotation_id, comment, _("Tell us why the rotation should be reviewed.")
    if len(comment) > MAX_COMMENT:
        return rotation_id, comment, _("Use at most %(count)s characters.", count=MAX_COMMENT)
    return rotation_id, comment, None


@page(
    "/rotations",
    nav=N_("Rotations"),
    summary=N_("Breaks from sensitive queues, why they happened, and asking for a review."),
    order=30,
    methods=("GET", "POST"),
)
def rotations(contractor: Contractor) -> ResponseReturnValue:
    session = db.session()
    status, error, error_for, comment = 200, None, None, ""
    if request.method == "POST":
        error_for, comment, error = _review_form(request.form)
        status = 422
        if error is None and error_for is not None:
            try:
                rotation_service.request_review(session, error_for, contractor.id, comment)
            except Conflict as conflict:
                status = 409
                error = (
                    _("A review of this rotation was already requested.")
                    if conflict.code == "review_exists"
                    else _("Only automatic rotations can be reviewed.")
                )
            else:
                flash(_("Thank you. A person at operations will review the rotation."), "success")
                return redirect(url_for("portal.rotations"), 303)
        elif error_for is None:
            error = _("Choose one of the options and try again.")
    now = db.utcnow()
    locale = str(current_locale())
    items = session.scalars(
        rotation_service.rotations_query(contractor_id=contractor.id).limit(LIST_LIMIT)
    ).all()
    explained = [(r, summary(r, locale, contractor.timezone)) for r in items]
    return render(
        "portal/rotations.html",
        status,
        active=[(r, s) for r, s in explained if _is_active(r, now)],
        past=[(r, s) for r, s in explained if not _is_active(r, now)],
        reviewable=rotation_service.REVIEWABLE,
        reasons=ROTATION_REASON_LABELS,
        statuses=ROTATION_STATUS_LABELS,
        reviews=REVIEW_STATUS_LABELS,
        error=error,
        error_for=error_for,
        comment=comment,
        max_comment=MAX_COMMENT,
    )


def _is_active(rotation: Rotation, now: dt.datetime) -> bool:
    return rotation.status == "active" and rotation.ends_at > now


# --- pay -------------------------------------------------------------------------------------


@page(
    "/pay",
    nav=N_("Pay"),
    summary=N_("Your pay statements and pay slips."),
    order=50,
)
def pay(contractor: Contractor) -> ResponseReturnValue:
    statements = (
        db.session()
        .scalars(statements_query(contractor.id, final_only=True).limit(LIST_LIMIT))
        .all()
    )
    return render("portal/pay.html", statements=statements, kinds=STATEMENT_KIND_LABELS)


@page("/pay/<int:statement_id>.pdf")
def pay_slip(contractor: Contractor, statement_id: int) -> ResponseReturnValue:
    """The PDF slip, through the portal session: only the contractor's own final ones."""
    statement = visible_statement(db.session(), statement_id)
    settings = SlipSettings.from_config(current_app.config)
    body = render_pdf(statement, contractor, str(current_locale()), settings)
    return download(body, "application/pdf", statement.download_name())


# --- notifications ---------------------------------------------------------------------------


def _when(value: Any) -> str:
    """An instant from a payload (ISO text) on the reader's clock; unreadable -> as is."""
    try:
        return format_datetime(dt.datetime.fromisoformat(str(value)), "short")
    except (TypeError, ValueError):
        return str(value)


def _day(value: Any) -> str:
    try:
        return format_date(dt.date.fromisoformat(str(value)), "long")
    except (TypeError, ValueError):
        return str(value)


def notification_text(notification: Notification) -> tuple[str, str | None]:
    """What a notification says, in the reader's language, and the page it is about."""
    kind, p = notification.kind, notification.payload or {}
    if kind == "checkin.reminder":
        return _("A wellbeing check-in is open for you. It is voluntary."), "portal.checkins"
    if kind == "rotation.started":
        text = _("You are off sensitive queues until %(until)s.", until=_when(p.get("ends_at")))
        return text, "portal.rotations"
    if kind == "rotation.ended":
        return _("Your break from sensitive queues has ended."), "portal.rotations"
    if kind == "rotation.reviewed":
        text = (
            _("A person reviewed your rotation and ended it.")
            if p.get("outcome") == "overturned"
            else _("A person reviewed your rotation and kept it.")
        )
        return text, "portal.rotations"
    if kind == "exposure.warning":
        values = {
            "tier": p.get("tier"),
            "measured": p.get("measured_minutes"),
            "limit": p.get("limit_minutes"),
        }
        text = (
            _(
                "Close to the 7-day limit at tier %(tier)s: %(measured)s of %(limit)s minutes.",
                **values,
            )
            if p.get("rule") == "weekly_limit"
            else _(
                "Close to today's limit at tier %(tier)s: %(measured)s of %(limit)s minutes.",
                **values,
            )
        )
        return text, "portal.exposure"
    if kind == "credential.expiring":
        text = _(
            "Your credential %(code)s expires on %(date)s.",
            code=credential_label(str(p.get("code")), p.get("kind")),
            date=_day(p.get("expires_on")),
        )
        return text, "portal.credentials"
    if kind == "credential.expired":
        text = _(
            "Your credential %(code)s expired on %(date)s.",
            code=credential_label(str(p.get("code")), p.get("kind")),
            date=_day(p.get("expires_on")),
        )
        return text, "portal.credentials"
    if kind == "shift.reassigned":
        text = _(
            "Your shift of %(when)s moved to a queue without sensitive content.",
            when=_when(p.get("starts_at")),
        )
        return text, "portal.schedule"
    if kind == "time_off.approved":
        text = _(
            "Your time off from %(start)s to %(end)s is approved.",
            start=_day(p.get("starts_on")),
            end=_day(p.get("ends_on")),
        )
        return text, "portal.time_off_page"
    if kind == "time_off.rejected":
        text = _(
            "Your time off from %(start)s to %(end)s was not approved.",
            start=_day(p.get("starts_on")),
            end=_day(p.get("ends_on")),
        )
        return text, "portal.time_off_page"
    if kind == "shift.cancelled":
        text = _("Your shift of %(when)s was cancelled.", when=_when(p.get("starts_at")))
        return text, "portal.schedule"
    if kind in OFFER_NOTICES:
        return _(OFFER_NOTICES[kind], when=_when(p.get("starts_at"))), "portal.shift_offers"
    if kind in ("portal.invite", "portal.password_reset"):
        # The link itself is only in the email: a page may be seen over a shoulder.
        return _("We emailed you a link to choose your portal password."), None
    if kind == "account.password_changed":
        return _(
            "Your portal password was changed. If you did not do it, tell your operations team."
        ), "portal.profile"
    if kind == "account.email_changed":
        return _(
            "The email address of your account was changed. If you did not ask for it, tell "
            "your operations team."
        ), "portal.profile"
    if kind == "account.token_created":
        text = _(
            "An API token named %(name)s was created for your account. It can read your "
            "check-ins. If you did not create it, revoke it.",
            name=p.get("name"),
        )
        return text, "portal.tokens"
    if kind == "account.token_revoked":
        return _("Your API token %(name)s was revoked.", name=p.get("name")), "portal.tokens"
    return _("You have a new message from operations."), None


@page(
    "/notifications",
    nav=N_("Notifications"),
    summary=N_("Messages about your work, newest first."),
    order=60,
    methods=("GET", "POST"),
)
def notifications(contractor: Contractor) -> ResponseReturnValue:
    session = db.session()
    if request.method == "POST" and request.form.get("preferences"):
        wanted = set(request.form.getlist("email"))
        preferences.set_muted(
            session,
            contractor.id,
            [kind for kind in preferences.EMAIL_KINDS if kind not in wanted | REQUIRED],
        )
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("portal.notifications"), 303)
    if request.method == "POST":
        raw = request.form.get("notification", "")
        if raw.isdigit() and len(raw) < 10:
            notification_service.mark_read(session, contractor.id, int(raw))
            return redirect(url_for("portal.notifications"), 303)
        flash(_("Choose one of the options and try again."), "warning")
        return redirect(url_for("portal.notifications"), 303)
    rows = session.scalars(
        notification_service.contractor_notifications(contractor.id, unread=False).limit(LIST_LIMIT)
    ).all()
    chosen = preferences.preferences(session, contractor.id)["kinds"]
    return render(
        "portal/notifications.html",
        items=[(n, *notification_text(n)) for n in rows],
        choices=[
            (c["kind"], CONTRACTOR_TEXTS[c["kind"]][0], c["email"], c["required"]) for c in chosen
        ],
    )


# --- calendar --------------------------------------------------------------------------------


@page(
    "/calendar",
    nav=N_("Calendar subscription"),
    summary=N_("Your shifts in your phone's calendar."),
    order=65,
    methods=("GET", "POST"),
)
def calendar(contractor: Contractor) -> ResponseReturnValue:
    session = db.session()
    if request.method == "POST":
        feed.rotate_feed(session, contractor.id, db.utcnow())
        flash(_("Your calendar has a new address. The old one no longer works."), "success")
        return redirect(url_for("portal.calendar"), 303)
    return render("portal/calendar.html", urls=feed.feed_url(session, contractor.id))
