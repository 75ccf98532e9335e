"""Contractor rules: validation and defaults from the country, uniqueness, offboarding."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.emails import normalise_email
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.harm import HARM_CATEGORIES
from workforce.i18n import (
    territory_defaults,
    validate_country,
    validate_currency,
    validate_locale,
    validate_subdivision,
)
from workforce.notifications.services import notify_once
from workforce.signals import contractor_offboarded, react
from workforce.timeutil import load_zone


def get_contractor(session: Session, contractor_id: int, *, field: str | None = None) -> Contractor:
    """The contractor, or 404 (a path id) / 422 naming ``field`` (an id in a body)."""
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise missing_contractor(contractor_id, field=field)
    return contractor


def missing_contractor(contractor_id: int, *, field: str | None = None) -> Exception:
    """A path id that names no contractor is a 404; an id in a body, a 422 naming ``field``."""
    if field:
        return InvalidInput.field(field, f"contractor {contractor_id} does not exist")
    return NotFound(f"contractor {contractor_id} does not exist")


def _normalise(data: Mapping[str, Any], current: Contractor | None) -> dict[str, Any]:
    """Validate the fields given and fill timezone, locale and currency from the country."""
    out = dict(data)
    country = validate_country(out.get("country") or (current.country if current else ""))
    out["country"] = country
    if out.get("subdivision"):
        out["subdivision"] = validate_subdivision(out["subdivision"], country)
    elif current and "country" in data and current.subdivision:
        # A new country invalidates the old subdivision unless it is restated.
        validate_subdivision(current.subdivision, country)
    defaults = territory_defaults(country)
    if "timezone" in out:
        out["timezone"] = load_zone(out["timezone"]).key
    elif current is None:
        if len(defaults.timezones) != 1:
            raise InvalidInput.field(
                "timezone",
                f"{country} has {len(defaults.timezones) or 'no'} time zones; give the IANA "
                "zone the contractor works in",
            )
        out["timezone"] = defaults.timezones[0]
    if "locale" in out:
        out["locale"] = validate_locale(out["locale"])
    elif current is None:
        out["locale"] = defaults.locale or "en"
    if "currency" in out:
        out["currency"] = validate_currency(out["currency"])
    elif current is None:
        if defaults.currency is None:
            raise InvalidInput.field("currency", f"{country} has no default currency; give one")
        out["currency"] = defaults.currency
    if "email" in out:
        email = normalise_email(out["email"])
        out["email"], out["email_skeleton"] = email.address, email.skeleton_hash
    return out


#: Unique fields, the code of their 409 and what the message says another contractor has.
UNIQUE = (
    ("email", "duplicate_email", "this email"),
    ("external_ref", "duplicate_external_ref", "this external_ref"),
    # checked after the exact email, so a plain duplicate keeps its own code
    ("email_skeleton", "confusable_email", "an email that looks the same as this one"),
)


def _ensure_unique(session: Session, data: Mapping[str, Any], exclude_id: int | None) -> None:
    for field, code, what in UNIQUE:
        value = data.get(field)
        if value is None:
            continue
        stmt = select(Contractor.id).where(getattr(Contractor, field) == value)
        if exclude_id is not None:
            stmt = stmt.where(Contractor.id != exclude_id)
        if session.scalar(stmt) is not None:
            raise Conflict(f"another contractor already has {what}", code=code)


def create_contractor(session: Session, data: Mapping[str, Any]) -> Contractor:
    values = _normalise(data, None)
    _ensure_unique(session, values, None)
    contractor = Contractor(**values, status="active", opt_outs=[])
    session.add(contractor)
    session.flush()
    audit.record(
        session,
        "contractor.create",
        "contractor",
        contractor.id,
        {"country": contractor.country, "external_ref": contractor.external_ref},
    )
    return contractor


def update_contractor(
    session: Session, contractor_id: int, changes: Mapping[str, Any]
) -> Contractor:
    contractor = get_contractor(session, contractor_id)
    if contractor.status == "offboarded":
        raise Conflict("an offboarded contractor cannot be changed", code="contractor_offboarded")
    if changes.get("status") == "offboarded":
        raise Conflict(
            "use POST /contractors/{id}/offboard to offboard", code="use_offboard_endpoint"
        )
    values = _normalise(changes, contractor)
    if "country" not in changes:
        values.pop("country")
    _ensure_unique(session, values, contractor.id)
    previous_email = contractor.email
    changed = {}
    for field, value in values.items():
        if getattr(contractor, field) != value:
            changed[field] = value
            setattr(contractor, field, value)
    if changed:
        contractor.updated_at = utcnow()
        if "email" in changed:
            _tell_of_email_change(session, contractor, previous_email)
        session.flush()
        # Names and emails are personal data: the audit names the fields, not the values.
        audit.record(
            session, "contractor.update", "contractor", contractor.id, {"fields": sorted(changed)}
        )
    return contractor


def _tell_of_email_change(session: Session, contractor: Contractor, previous: str) -> None:
    """Staff changed the address that password links go to: tell the old address (a
    required email), and start the cooling-off before any link goes to the new one, so
    that no one can take over a contractor's account by changing their email."""
    contractor.email_changed_at = utcnow()
    notify_once(
        session,
        kind="account.email_changed",
        audience="contractor",
        contractor_id=contractor.id,
        dedupe_key=f"account.email_changed:{contractor.id}:{contractor.email_changed_at}",
        payload={"previous_email": previous},
    )


def offboard_contractor(session: Session, contractor_id: int, reason: str | None) -> Contractor:
    contractor = get_contractor(session, contractor_id)
    if contractor.status == "offboarded":
        raise Conflict("the contractor is already offboarded", code="already_offboarded")
    contractor.status = "offboarded"
    contractor.offboarded_at = utcnow()
    ended = react(contractor_offboarded, session, contractor_id=contractor.id)
    session.flush()
    audit.record(
        session, "contractor.offboard", "contractor", contractor.id, {"reason": reason, **ended}
    )
    return contractor


def list_contractors_query(
    *, country: str | None = None, status: str | None = None, search: str | None = None
) -> Select[tuple[Contractor]]:
    stmt = select(Contractor).order_by(Contractor.id)
    if country:
        stmt = stmt.where(Contractor.country == country.upper())
    if status:
        stmt = stmt.where(Contractor.status == status)
    if search:
        # The search text is literal: escape LIKE's wildcards.
        literal = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        stmt = stmt.where(
            or_(
                func.lower(Contractor.full_name).like(pattern, escape="\\"),
                Contractor.email.like(pattern, escape="\\"),
                func.lower(Contractor.external_ref).like(pattern, escape="\\"),
            )
        )
    return stmt


def set_consent(
    session: Session, contractor_id: int, sensitive: bool, *, given_at: dt.datetime | None = None
) -> Contractor:
    """Record or withdraw consent to sensitive work; takes effect at once. ``given_at``: when
    consent given earlier on paper (or in the demo's history) was given, never in the future;
    the audit row says so."""
    now = utcnow()
    if given_at is not None and given_at > now:
        raise InvalidInput.field("given_at", "consent cannot be given in the future")
    contractor = get_contractor(session, contractor_id)
    given = contractor.sensitive_consent_at is not None
    if sensitive != given:
        contractor.sensitive_consent_at = (given_at or now) if sensitive else None
        session.flush()
        summary: dict[str, Any] = {"sensitive": sensitive}
        if sensitive and given_at is not None:
            summary["given_at"] = given_at.isoformat()
        audit.record(session, "contractor.consent", "contractor", contractor.id, summary)
    return contractor


def set_opt_outs(session: Session, contractor_id: int, categories: list[str]) -> Contractor:
    """Replace the harm categories the contractor will not be shown."""
    unknown = sorted(set(categories) - set(HARM_CATEGORIES))
    if unknown:
        raise InvalidInput.field("categories", f"unknown harm categories: {', '.join(unknown)}")
    contractor = get_contractor(session, contractor_id)
    chosen = sorted(set(categories))
    if chosen != sorted(contractor.opt_outs):
        before = sorted(contractor.opt_outs)
        contractor.opt_outs = chosen
        session.flush()
        audit.record(
            session,
            "contractor.opt_outs",
            "contractor",
            contractor.id,
            {"from": before, "to": chosen},
        )
    return contractor
