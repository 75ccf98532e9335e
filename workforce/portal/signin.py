"""Signing in and out, "forgot password", and setting a password from an emailed link."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from workforce import db
from workforce.contractors.models import Contractor
from workforce.errors import TooManyRequests
from workforce.identity import accounts as services
from workforce.identity.models import PortalInvite
from workforce.portal.web import (
    HINT,
    bp,
    check_next,
    choose_language,
    end_session,
    page,
    render,
    safe_next,
    signed_in_session_id,
    start_session,
    use_language,
)
from workforce.translation import gettext as _

#: Kept in the session between setting a password and the sign-in page.
PREFILL = "prefill_email"


def _client() -> str:
    return request.remote_addr or "?"


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    next_url = request.values.get("next", "")
    check_next(next_url)  # before anything is written or a session started
    if request.method == "GET":
        if g.portal_contractor is not None:
            return redirect(safe_next(next_url), 303)
        return render("portal/sign_in.html", email=session.pop(PREFILL, ""), next=next_url)
    email = request.form.get("email", "").strip()[:320]
    password = request.form.get("password", "")[:1000]
    try:
        contractor = services.authenticate(db.session(), email, password, _client())
    except TooManyRequests as error:
        return _too_many("portal/sign_in.html", error, email=email, next=next_url)
    except services.SignInFailed:
        message = _("The email or password is wrong.")
        return render("portal/sign_in.html", 401, email=email, next=next_url, error=message)
    start_session(contractor)
    return redirect(safe_next(next_url), 303)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    """One neutral answer whatever the email: it never tells who has an account."""
    if request.method == "GET":
        return render("portal/forgot_password.html", sent=False)
    email = request.form.get("email", "").strip()[:320]
    try:
        services.request_password_reset(db.session(), email, _client())
    except TooManyRequests as error:
        return _too_many("portal/forgot_password.html", error, sent=False, email=email)
    return render("portal/forgot_password.html", sent=True)


def _too_many(template: str, error: TooManyRequests, **context: Any) -> ResponseReturnValue:
    wait = int(error.extra["retry_after"])
    minutes = max(1, -(-wait // 60))
    message = _("Too many failed attempts. Wait %(minutes)s min, then try again.", minutes=minutes)
    return render(template, 429, {"Retry-After": str(wait)}, error=message, **context)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> ResponseReturnValue:
    contractor, session_id = g.portal_contractor, signed_in_session_id()
    if contractor is not None and session_id is not None:
        # On the server too: a copy of this cookie (another tab, a thief) stops working.
        services.sign_out(db.session(), contractor.id, session_id)
    end_session()
    flash(_("You are signed out."), "success")
    return redirect(url_for("portal.sign_in"), 303)


@page("/sign-out-everywhere", methods=("POST",))
def sign_out_everywhere(contractor: Contractor) -> ResponseReturnValue:
    services.sign_out_everywhere(db.session(), contractor.id)
    end_session()
    flash(_("You are signed out on every device."), "success")
    return redirect(url_for("portal.sign_in"), 303)


def _password_page(
    status: int, invite: PortalInvite, invitee: Contractor, error: str | None = None
) -> ResponseReturnValue:
    return render(
        "portal/set_password.html",
        status,
        invite=invite,
        invitee=invitee,
        error=error,
        min_length=services.PASSWORD_MIN_LENGTH,
        max_length=services.PASSWORD_MAX_LENGTH,
    )


@bp.route("/invite/<secret>", methods=["GET", "POST"])
def invite(secret: str) -> ResponseReturnValue:
    try:
        found, contractor = services.find_invite(db.session(), secret)
    except services.InviteUnusable as unusable:
        status = 404 if unusable.state == "unknown" else 410
        return render("portal/invite_unusable.html", status, state=unusable.state)
    # The invited person is known: speak their language unless they chose another.
    use_language(choose_language(contractor), contractor)
    if request.method == "GET":
        return _password_page(200, found, contractor)
    password = request.form.get("password", "")
    confirm = request.form.get("confirm", "")
    error = None
    if password != confirm:
        error = _("The two passwords are not the same.")
    else:
        try:
            services.accept_invite(db.session(), secret, password)
        except services.WeakPassword as weak:
            error = {
                "too_short": _(
                    "Use at least %(count)s characters.", count=services.PASSWORD_MIN_LENGTH
                ),
                "too_long": _(
                    "Use at most %(count)s characters.", count=services.PASSWORD_MAX_LENGTH
                ),
                "is_email": _("Do not use your email address as your password."),
                "common": _(
                    "This password is one of the most common ones. Choose another, for "
                    "example a few words that only you would put together."
                ),
            }[weak.rule]
    if error is not None:
        return _password_page(422, found, contractor, error)
    end_session()
    session[PREFILL] = contractor.email
    session[HINT] = g.portal_lang
    flash(_("Your password is set. Sign in to continue."), "success")
    return redirect(url_for("portal.sign_in"), 303)
