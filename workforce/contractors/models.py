"""Contractors: the people Workforce keeps safe and pays."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workforce.db import Base, UTCDateTime, utcnow

CONTRACTOR_STATUSES = ("active", "suspended", "offboarded")


class ContractorFacts(Protocol):
    """What eligibility reads of a contractor: a ``Contractor``, or a row read with plain
    SQL where loading the ORM object would cost more than the rule itself."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def sensitive_consent_at(self) -> dt.datetime | None: ...
    @property
    def opt_outs(self) -> list[str]: ...


class Contractor(Base):
    __tablename__ = "contractors"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'offboarded')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The employer's own identifier; moderation platforms may send it instead of our id.
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: Stored normalised (workforce.contractors.emails): NFKC, IDNA domain, lower case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: SHA-256 of the email's skeleton: no two contractors have look-alike addresses.
    #: Empty only for rows older than migration 0162 that looked like an earlier one.
    email_skeleton: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    #: When the email last changed: portal password links wait for the cooling-off period
    #: after it (workforce.identity.accounts.EMAIL_CHANGE_COOLING_OFF).
    email_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    country: Mapped[str] = mapped_column(String(2), index=True)
    subdivision: Mapped[str | None] = mapped_column(String(6))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    sensitive_consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Harm categories the contractor will not be shown (workforce.harm.HARM_CATEGORIES).
    opt_outs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    offboarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


CREDENTIAL_KINDS = (
    "degree",
    "license",
    "certification",
    "training",
    "background_check",
    "language",
)
#: Stored states; ``expired`` is never stored, it is derived from ``expires_on`` when read.
STORED_CREDENTIAL_STATUSES = ("pending", "verified", "rejected", "revoked")
CREDENTIAL_STATUSES = (*STORED_CREDENTIAL_STATUSES, "expired")


def credential_status_on(status: str, expires_on: dt.date | None, day: dt.date) -> str:
    """A credential's status as of a contractor-local date: verified turns expired by itself
    the day after ``expires_on``."""
    if status == "verified" and expires_on is not None and day > expires_on:
        return "expired"
    return status


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'verified', 'rejected', 'revoked')", name="status_known"
        ),
        CheckConstraint(
            "expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on",
            name="expiry_after_issue",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: e.g. PHD, RN, JD, RESILIENCE_TRAINING; an ISO 639 code for ``language``.
    code: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: Where the evidence is kept (document id, URL in the HR system); never the document.
    evidence_ref: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(2000))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_token_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    #: Loaded with the credential: its time zone decides the day a credential expires.
    contractor: Mapped[Contractor] = relationship(lazy="joined", innerjoin=True)

    def status_on(self, day: dt.date) -> str:
        """The status as of a contractor-local date (:func:`credential_status_on`)."""
        return credential_status_on(self.status, self.expires_on, day)

    def status_at(self, at: dt.datetime) -> str:
        """The status at an instant, on the contractor's own calendar."""
        return self.status_on(at.astimezone(ZoneInfo(self.contractor.timezone)).date())
