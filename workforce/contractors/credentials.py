"""Credentials: submitted pending, decided by ops (verify, reject, revoke), and expired by
the calendar — a verified credential past ``expires_on`` reads as ``expired`` everywhere."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pycountry
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.models import CREDENTIAL_KINDS, Contractor, Credential
from workforce.contractors.services import get_contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound
from workforce.notifications.services import notify_once
from workforce.timeutil import load_zone, local_date

#: PHD, RN, JD, RESILIENCE_TRAINING...: upper-case letters, digits and underscores.
CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
#: Which decisions may follow which stored state.
TRANSITIONS = {
    "verify": ("pending",),
    "reject": ("pending",),
    "revoke": ("verified",),
}
RESULT = {"verify": "verified", "reject": "rejected", "revoke": "revoked"}


def normalise_code(kind: str, code: str, field: str = "code") -> str:
    """Credential codes are upper-case identifiers; languages are ISO 639 codes."""
    if kind not in CREDENTIAL_KINDS:
        raise InvalidInput.field("kind", f"must be one of {', '.join(CREDENTIAL_KINDS)}")
    if kind == "language":
        lowered = code.strip().lower()
        found = (
            pycountry.languages.get(alpha_2=lowered)
            if len(lowered) == 2
            else pycountry.languages.get(alpha_3=lowered)
        )
        if found is None:
            raise InvalidInput.field(field, f"'{code}' is not an ISO 639 language code")
        return str(getattr(found, "alpha_2", found.alpha_3))
    if not CODE_PATTERN.match(code):
        raise InvalidInput.field(field, "use upper-case letters, digits and _ (e.g. PHD, RN)")
    return code


def local_today(contractor: Contractor, at: dt.datetime | None = None) -> dt.date:
    return local_date(at or utcnow(), load_zone(contractor.timezone))


def get_credential(session: Session, credential_id: int) -> Credential:
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"credential {credential_id} does not exist")
    return credential


def _check_dates(issued_on: dt.date | None, expires_on: dt.date | None) -> None:
    if issued_on and expires_on and expires_on < issued_on:
        raise InvalidInput.field("expires_on", "must not be before issued_on")


def submit_credential(session: Session, contractor_id: int, data: Mapping[str, Any]) -> Credential:
    """A new credential, pending until ops verify it."""
    contractor = get_contractor(session, contractor_id)
    if contractor.status == "offboarded":
        raise Conflict("the contractor is offboarded", code="contractor_offboarded")
    values = dict(data)
    values["code"] = normalise_code(values["kind"], values["code"])
    _check_dates(values.get("issued_on"), values.get("expires_on"))
    credential = Credential(contractor_id=contractor.id, status="pending", **values)
    session.add(credential)
    session.flush()
    audit.record(
        session,
        "credential.submit",
        "credential",
        credential.id,
        {"contractor_id": contractor.id, "kind": credential.kind, "code": credential.code},
    )
    return credential


def update_credential(
    session: Session, credential_id: int, changes: Mapping[str, Any]
) -> Credential:
    """Correct the details of a credential that is still pending."""
    credential = get_credential(session, credential_id)
    if credential.status != "pending":
        raise Conflict(
            f"a {credential.status} credential cannot be edited; submit a new one",
            code="credential_decided",
        )
    values = dict(changes)
    kind = values.get("kind", credential.kind)
    if "kind" in values or "code" in values:
        values["code"] = normalise_code(kind, values.get("code", credential.code))
    _check_dates(
        values.get("issued_on", credential.issued_on),
        values.get("expires_on", credential.expires_on),
    )
    for name, value in values.items():
        setattr(credential, name, value)
    session.flush()
    audit.record(
        session, "credential.update", "credential", credential.id, {"fields": sorted(values)}
    )
    return credential


def decide(session: Session, credential_id: int, action: str, reason: str | None) -> Credential:
    """verify / reject / revoke, each allowed only from the states in TRANSITIONS."""
    credential = get_credential(session, credential_id)
    if credential.status not in TRANSITIONS[action]:
        raise Conflict(
            f"cannot {action} a {credential.status} credential", code="invalid_transition"
        )
    before = credential.status
    credential.status = RESULT[action]
    credential.status_reason = reason
    credential.decided_at = utcnow()
    credential.decided_by_token_id = audit.current_actor().token_id
    session.flush()
    audit.record(
        session,
        f"credential.{action}",
        "credential",
        credential.id,
        {
            "contractor_id": credential.contractor_id,
            "from": before,
            "to": credential.status,
            "reason": reason,
        },
    )
    return credential


def credentials_query(
    *,
    contractor_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    expiring_within_days: int | None = None,
    today: dt.date | None = None,
) -> Select[tuple[Credential]]:
    """Credentials, newest first. ``status=expired`` and the expiry window use ``today``."""
    today = today or utcnow().date()
    stmt = select(Credential).order_by(Credential.id.desc())
    if contractor_id is not None:
        stmt = stmt.where(Credential.contractor_id == contractor_id)
    if kind:
        stmt = stmt.where(Credential.kind == kind)
    if status == "expired":
        stmt = stmt.where(Credential.status == "verified", Credential.expires_on < today)
    elif status == "verified":
        stmt = stmt.where(
            Credential.status == "verified",
            (Credential.expires_on.is_(None)) | (Credential.expires_on >= today),
        )
    elif status:
        stmt = stmt.where(Credential.status == status)
    if expiring_within_days is not None:
        stmt = stmt.where(
            Credential.status == "verified",
            Credential.expires_on >= today,
            Credential.expires_on <= today + dt.timedelta(days=expiring_within_days),
        )
    return stmt


#: How far ahead contractors and ops hear about a credential running out.
EXPIRY_NOTICE_DAYS = 30


def notify_credential_expiry(session: Session, now: dt.datetime) -> dict[str, int]:
    """Scheduled job: one notice per verified credential expiring within 30 days, and one
    when it has expired. Idempotent: dedupe keys name the credential and its expiry date."""
    horizon = now.date() + dt.timedelta(days=EXPIRY_NOTICE_DAYS + 1)
    candidates: Iterable[Credential] = session.scalars(
        select(Credential).where(
            Credential.status == "verified",
            Credential.expires_on.is_not(None),
            Credential.expires_on <= horizon,
        )
    )
    counts = {"expiring": 0, "expired": 0}
    for credential in candidates:
        expires_on = credential.expires_on
        if expires_on is None:  # excluded by the query; keeps the type checker honest
            continue
        days_left = (expires_on - local_today(credential.contractor, now)).days
        if days_left < 0:
            state = "expired"
        elif days_left <= EXPIRY_NOTICE_DAYS:
            state = "expiring"
        else:
            continue
        payload = {
            "credential_id": credential.id,
            "kind": credential.kind,
            "code": credential.code,
            "expires_on": expires_on.isoformat(),
            "days_left": days_left,
        }
        key = f"credential:{credential.id}:{state}:{expires_on.isoformat()}"
        for audience in ("contractor", "ops"):
            if (
                notify_once(
                    session,
                    kind=f"credential.{state}",
                    audience=audience,
                    dedupe_key=f"{key}:{audience}",
                    payload=payload,
                    contractor_id=credential.contractor_id,
                )
                and audience == "contractor"
            ):
                counts[state] += 1
    return counts
