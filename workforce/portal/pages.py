"""Signed-in pages: home, credentials, profile and choices, API tokens.

Menu order leaves room for the pages still to come (schedule 10, exposure 20,
rotations 30, check-ins 40, pay 50, notifications 60, calendar 65).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from workforce import db
from workforce.contractors import credentials as credential_service
from workforce.contractors import services as contractor_service
from workforce.contractors.credentials import CODE_PATTERN, local_today, normalise_code
from workforce.contractors.models import CREDENTIAL_KINDS, Contractor, Credential
from workforce.errors import InvalidInput, NotFound
from workforce.harm import HARM_CATEGORIES
from workforce.identity import access
from workforce.portal.web import NAV, page, render
from workforce.translation import N_
from workforce.translation import gettext as _

HARM_LABELS = {
    "violence_gore": N_("Violence and gore"),
    "child_sexual_abuse": N_("Child sexual abuse"),
    "sexual_content": N_("Sexual content"),
    "self_harm": N_("Self-harm and suicide"),
    "hate_extremism": N_("Hate and violent extremism"),
    "animal_cruelty": N_("Animal cruelty"),
    "harassment": N_("Harassment and bullying"),
    "other_disturbing": N_("Other disturbing content"),
}
KIND_LABELS = {
    "degree": N_("Degree"),
    "license": N_("Professional licence"),
    "certification": N_("Certification"),
    "training": N_("Training"),
    "background_check": N_("Background check"),
    "language": N_("Language"),
}
STATUS_LABELS = {
    "pending": N_("Waiting for review"),
    "verified": N_("Verified"),
    "rejected": N_("Not accepted"),
    "revoked": N_("Withdrawn"),
    "expired": N_("Expired"),
}
#: How long a token made on the portal works (days -> label); the API takes any date.
TOKEN_LIFETIMES = {"30": N_("30 days"), "90": N_("90 days"), "365": N_("1 year")}
#: A credential is "expiring soon" this many days ahead (as the expiry notices say).
SOON = credential_service.EXPIRY_NOTICE_DAYS
MAX_TEXT = 200


@page("/", nav=N_("Home"), order=0)
def home(contractor: Contractor) -> ResponseReturnValue:
    today = local_today(contractor)
    counts = dict(
        db.session()
        .execute(
            select(Credential.status, func.count())
            .where(Credential.contractor_id == contractor.id)
            .group_by(Credential.status)
        )
        .tuples()
        .all()
    )
    expiring = db.session().scalar(
        select(func.count()).where(
            Credential.contractor_id == contractor.id,
            Credential.status == "verified",
            Credential.expires_on >= today,
            Credential.expires_on <= today + dt.timedelta(days=SOON),
        )
    )
    links = [item for item in NAV if item.endpoint != "portal.home"]
    return render(
        "portal/home.html",
        today=today,
        now=db.utcnow(),
        pending=counts.get("pending", 0),
        expiring=expiring or 0,
        soon_days=SOON,
        links=links,
    )


# --- credentials --------------------------------------------------------------------------


def _parse_date(raw: str, field: str, errors: dict[str, str]) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = _("Enter the date as year-month-day, for example 2026-03-31.")
        return None


def _credential_form(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted credential and, per field, what is wrong (in the reader's language)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    kind = form.get("kind", "")
    if kind not in CREDENTIAL_KINDS:
        errors["kind"] = _("Choose what kind of credential this is.")
    code = form.get("code", "").strip()
    if not code:
        errors["code"] = _("Enter the code of the credential.")
    elif kind == "language":
        try:
            code = normalise_code(kind, code)
        except InvalidInput:
            errors["code"] = _("Enter a language code, for example sw, en, es or fil.")
    elif kind in CREDENTIAL_KINDS:
        code = code.upper().replace(" ", "_").replace("-", "_")
        if not CODE_PATTERN.match(code):
            errors["code"] = _(
                "Use 2 to 40 letters, digits or _, starting with a letter, for example RN or PHD."
            )
    data.update(kind=kind, code=code)
    for field in ("field", "issuer"):
        value = form.get(field, "").strip()
        if len(value) > MAX_TEXT:
            errors[field] = _("Use at most %(count)s characters.", count=MAX_TEXT)
        data[field] = value or None
    data["issued_on"] = _parse_date(form.get("issued_on", ""), "issued_on", errors)
    data["expires_on"] = _parse_date(form.get("expires_on", ""), "expires_on", errors)
    if data["issued_on"] and data["expires_on"] and data["expires_on"] < data["issued_on"]:
        errors["expires_on"] = _("The expiry date cannot be before the date it was issued.")
    return data, errors


@page(
    "/credentials",
    nav=N_("Credentials"),
    summary=N_("Your degrees, licences, training and languages, and their review."),
    order=70,
    methods=("GET", "POST"),
)
def credentials(contractor: Contractor) -> ResponseReturnValue:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        values, errors = _credential_form(request.form)
        if not errors:
            try:
                credential_service.submit_credential(db.session(), contractor.id, values)
            except InvalidInput as invalid:
                errors = {name: _("Check this value.") for name in invalid.errors}
            else:
                flash(_("Thank you. Your credential is waiting for review."), "success")
                return redirect(url_for("portal.credentials"), 303)
        status = 422
    items = (
        db.session()
        .scalars(credential_service.credentials_query(contractor_id=contractor.id))
        .all()
    )
    today = local_today(contractor)
    return render(
        "portal/credentials.html",
        status,
        items=[(item, item.status_on(today)) for item in items],
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        errors=errors,
        values=values,
        soon=today + dt.timedelta(days=SOON),
        today=today,
    )


# --- profile, consent and opt-outs -----------------------------------------------------


@page(
    "/profile",
    nav=N_("Profile and choices"),
    summary=N_("Your details, consent to sensitive work, and content you will not be shown."),
    order=80,
    methods=("GET", "POST"),
)
def profile(contractor: Contractor) -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        form = request.form.get("form")
        if form == "consent" and request.form.get("sensitive") in ("yes", "no"):
            given = request.form["sensitive"] == "yes"
            contractor_service.set_consent(db.session(), contractor.id, given)
            flash(
                _("You agreed to sensitive work.")
                if given
                else _("You withdrew your consent to sensitive work. It applies at once."),
                "success",
            )
            return redirect(url_for("portal.profile"), 303)
        if form == "opt_outs":
            chosen = request.form.getlist("categories")
            if set(chosen) <= set(HARM_CATEGORIES):
                contractor_service.set_opt_outs(db.session(), contractor.id, chosen)
                flash(_("Your choices are saved. They apply at once."), "success")
                return redirect(url_for("portal.profile"), 303)
        error = _("Choose one of the options and try again.")
    return render(
        "portal/profile.html",
        422 if error else 200,
        error=error,
        harms=HARM_LABELS,
    )


# --- API tokens ----------------------------------------------------------------------------


def _create_token_form(contractor: Contractor) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """Create a token from the form: ``(secret or None, errors, submitted values)``."""
    values = {"name": request.form.get("name", "").strip(), "days": request.form.get("days", "")}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Give the token a name.")
    elif len(values["name"]) > MAX_TEXT:
        errors["name"] = _("Use at most %(count)s characters.", count=MAX_TEXT)
    if values["days"] not in TOKEN_LIFETIMES:
        errors["days"] = _("Choose one of the options and try again.")
    if errors:
        return None, errors, values
    _token, raw = access.create_token(
        db.session(),
        name=values["name"],
        role="contractor",
        contractor_id=contractor.id,
        expires_at=db.utcnow() + dt.timedelta(days=int(values["days"])),
    )
    return raw, errors, {}


@page(
    "/tokens",
    nav=N_("API tokens"),
    summary=N_("Keys for apps that read your data for you: create and revoke them."),
    order=75,
    methods=("GET", "POST"),
)
def tokens(contractor: Contractor) -> ResponseReturnValue:
    """The twin of ``/api/v1/me/tokens``: a new secret is shown on this answer only."""
    created: str | None = None
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if request.form.get("form") == "revoke":
            raw_id = request.form.get("token", "")
            if not (raw_id.isdigit() and len(raw_id) < 10):
                raise NotFound("no such token")
            token = access.revoke_token(db.session(), int(raw_id), contractor_id=contractor.id)
            flash(
                _("The token %(name)s is revoked. It no longer works.", name=token.name), "success"
            )
            return redirect(url_for("portal.tokens"), 303)
        created, errors, values = _create_token_form(contractor)
        status = 201 if created else 422
    items = db.session().scalars(access.tokens_query(contractor_id=contractor.id)).all()
    return render(
        "portal/tokens.html",
        status,
        items=items,
        created=created,
        errors=errors,
        values=values,
        lifetimes=TOKEN_LIFETIMES,
    )
