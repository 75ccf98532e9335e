"""What a queue asks of the people who work it: credentials and a language, each verified
and unexpired on the contractor's local day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from workforce import db
from workforce.contractors.models import credential_status_on


def required_credentials(
    credentials: list[dict[str, Any]], language: str | None
) -> list[dict[str, Any]]:
    """A queue's required credentials, its language counted as one."""
    required = list(credentials)
    if language:
        required.append({"kind": "language", "code": language})
    return required


def credential_reasons(
    session: Session, contractor_id: int, required: list[dict[str, Any]], today: dt.date
) -> list[str]:
    """``missing_credential:RN``, ``credential_expired:RN``, ``missing_language:sw``... for
    each of ``required`` the contractor does not hold verified on ``today``."""
    held: dict[tuple[str, str], set[str]] = {}
    # Plain driver SQL: every eligibility check on a queue with requirements asks this.
    for row in db.driver_rows(
        session,
        "SELECT kind, code, status, expires_on FROM credentials "
        "WHERE contractor_id = :contractor_id",
        contractor_id=contractor_id,
    ):
        expires_on = None if row.expires_on is None else db.date_value(row.expires_on)
        held.setdefault((row.kind, row.code), set()).add(
            credential_status_on(row.status, expires_on, today)
        )
    reasons = []
    for need in required:
        states = held.get((need["kind"], need["code"]), set())
        if "verified" in states:
            continue
        noun = "language" if need["kind"] == "language" else "credential"
        state = f"{noun}_expired" if "expired" in states else f"missing_{noun}"
        reasons.append(f"{state}:{need['code']}")
    return reasons
