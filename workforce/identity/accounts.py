"""Portal accounts: invites, passwords (argon2id), sign-in with rate limits, sessions.

- Ops send a one-time link (``send_portal_link``): an invite, or for someone who has a
  password a reset that changes nothing until used. It goes only to the contractor's own
  email, through the outbox, never back to ops. It carries a 256-bit secret of which only
  the SHA-256 is stored, expires after ``PORTAL_INVITE_DAYS`` (7) days, works once, and a
  newer link replaces the older ones. "Forgot password" on the sign-in page sends the same
  reset link (``request_password_reset``). Using a link sets the password.
- Sign-in (``authenticate``) checks email and password. Failures are counted per client
  address and per email; past the limits it answers 429 with the seconds to wait.
- A session names the contractor, when it was issued and a random session id. It is valid
  while the contractor is not offboarded, it was issued after ``sessions_valid_after`` —
  which a new password, "sign out everywhere" and offboarding move to now — and its id has
  not been signed out (``sign_out`` keeps a revocation row, so a copied cookie dies too).
- Passwords follow NIST SP 800-63B: at least 12 characters after trimming, at most 200, any
  characters (spaces, any script), no composition rules, never the email, never one of the
  common passwords of ``data/common-passwords.txt.gz`` (see ``data/README.md``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import secrets
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.emails import normalise_email
from workforce.contractors.models import Contractor
from workforce.db import utcnow
from workforce.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unauthorized
from workforce.identity.models import PortalAccount, PortalInvite, PortalSessionRevocation
from workforce.notifications.email import SECRET_LINK_KINDS
from workforce.notifications.services import notify_once
from workforce.ratelimit import FailureLimit, failures

INVITE_PATH = "/portal/invite/"
#: After staff change the email of a contractor who has a password, no reset link goes to
#: the new address for this long: the old address was told and can object (a changed email
#: plus a reset would otherwise let staff sign in as the contractor).
EMAIL_CHANGE_COOLING_OFF = dt.timedelta(days=3)
#: NIST SP 800-63B asks for at least 8; 12 keeps passphrases of a few words comfortable.
PASSWORD_MIN_LENGTH = 12
#: Long enough for any passphrase, short enough that hashing it is never a burden.
PASSWORD_MAX_LENGTH = 200
#: Passwords seen most often in breaches (one a line, lowercase); source in data/README.md.
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent.parent / "data/common-passwords.txt.gz"


class InviteUnusable(Conflict):
    """The invite link is unknown, used, replaced or expired (``state`` says which)."""

    def __init__(self, state: str) -> None:
        super().__init__(f"the invite is {state}", code=f"invite_{state}")
        self.state = state


class WeakPassword(InvalidInput):
    """A password that breaks a rule: ``too_short``, ``too_long``, ``is_email`` or ``common``."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__({"password": [message]})
        self.rule = rule


class SignInFailed(Unauthorized):
    """Wrong email or password: one answer for both, so emails cannot be probed."""

    def __init__(self) -> None:
        super().__init__("the email or password is wrong", code="sign_in_failed")


@cache
def _hasher() -> PasswordHasher:
    # argon2id with the RFC 9106 "low memory" parameters (t=3, m=64 MiB, p=4).
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both cases take as long."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def portal_actor(contractor_id: int) -> audit.Actor:
    """Who acts through the portal: the contractor (no token, so no token id)."""
    return audit.Actor(None, "contractor", f"portal:{contractor_id}")


def _contractor(session: Session, contractor_id: int) -> Contractor:
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound(f"contractor {contractor_id} does not exist")
    return contractor


# --- invites ----------------------------------------------------------------------------


def invite_url(secret: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + INVITE_PATH + secret


#: Outbox kinds of the two one-time links; only the contractor's own email delivers them.
INVITE_KIND, RESET_KIND = SECRET_LINK_KINDS
#: Who asks for a reset on the sign-in page: not signed in, so nobody we know.
FORGOT_PASSWORD_ACTOR = audit.Actor(None, "anonymous", "portal:forgot-password")


@dataclass(frozen=True)
class SentLink:
    """A link sent to a contractor: the invite row, its outbox kind, the masked address."""

    invite: PortalInvite
    kind: str
    sent_to: str


def mask_email(email: str) -> str:
    """``jane@example.com`` -> ``j***@example.com``: enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def send_portal_link(
    session: Session,
    contractor_id: int,
    *,
    created_by: int | None = None,
    actor: audit.Actor | None = None,
) -> SentLink:
    """Send the contractor a one-time link to choose a password, to their own email only.

    Without an account it is an invite (``portal.invite``); with one, a password reset
    (``portal.password_reset``) that changes nothing until the contractor uses it, so an
    invite never resets anyone's password. The link is written only to the outbox, for
    the contractor's email (it is never returned to the caller); a newer link replaces
    older unused ones.
    """
    contractor = _contractor(session, contractor_id)
    if contractor.status == "offboarded":
        raise Conflict("the contractor is offboarded", code="contractor_offboarded")
    has_account = session.scalar(
        select(PortalAccount.id).where(PortalAccount.contractor_id == contractor.id)
    )
    kind = RESET_KIND if has_account is not None else INVITE_KIND
    now = utcnow()
    changed = contractor.email_changed_at
    if has_account is not None and changed and now - changed < EMAIL_CHANGE_COOLING_OFF:
        raise Conflict(
            "the contractor's email changed less than three days ago; a password link goes "
            "to the new address once that has passed, so the person can object first",
            code="email_recently_changed",
        )
    replaced = _revoke_invites(session, contractor.id, now)
    secret = secrets.token_urlsafe(32)
    invite = PortalInvite(
        contractor_id=contractor.id,
        token_hash=hash_secret(secret),
        created_at=now,
        created_by_token_id=created_by,
        expires_at=now + dt.timedelta(days=current_app.config["PORTAL_INVITE_DAYS"]),
    )
    session.add(invite)
    session.flush()
    notify_once(
        session,
        kind=kind,
        audience="contractor",
        contractor_id=contractor.id,
        dedupe_key=f"{kind}:{invite.id}",
        payload={"url": invite_url(secret), "expires_at": invite.expires_at.isoformat()},
    )
    audit.record(
        session,
        kind,
        "contractor",
        contractor.id,
        {
            "invite_id": invite.id,
            "expires_at": invite.expires_at.isoformat(),
            "replaced": replaced,
        },
        actor=actor,
    )
    return SentLink(invite, kind, mask_email(contractor.email))


def _revoke_invites(session: Session, contractor_id: int, now: dt.datetime) -> int:
    result = session.execute(
        update(PortalInvite)
        .where(
            PortalInvite.contractor_id == contractor_id,
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def invite_state(invite: PortalInvite | None, at: dt.datetime) -> str:
    """``valid``, ``unknown``, ``used``, ``replaced`` or ``expired``."""
    if invite is None:
        return "unknown"
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "replaced"
    if invite.expires_at <= at:
        return "expired"
    return "valid"


def find_invite(session: Session, secret: str) -> tuple[PortalInvite, Contractor]:
    """The usable invite behind a link and its contractor, or :class:`InviteUnusable`."""
    invite = None
    if 20 <= len(secret) <= 100:
        invite = session.scalar(
            select(PortalInvite).where(PortalInvite.token_hash == hash_secret(secret))
        )
    state = invite_state(invite, utcnow())
    if invite is None or state != "valid":
        raise InviteUnusable(state)
    contractor = _contractor(session, invite.contractor_id)
    if contractor.status == "offboarded":
        raise InviteUnusable("replaced")
    return invite, contractor


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines)


def check_password(password: str, email: str) -> None:
    """The password rules: 12 to 200 characters (ends trimmed), not the email, not common.

    The password is stored as typed; only the checks trim it. "Common" compares it
    case-insensitively, also with its spaces removed ("qwerty 123456" is "qwerty123456").
    """
    trimmed = password.strip()
    if len(trimmed) < PASSWORD_MIN_LENGTH:
        raise WeakPassword("too_short", f"use at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword("too_long", f"use at most {PASSWORD_MAX_LENGTH} characters")
    folded = trimmed.casefold()
    email = email.casefold()
    if folded in (email, email.partition("@")[0]):
        raise WeakPassword("is_email", "the password must not be your email address")
    if {folded, "".join(folded.split())} & common_passwords():
        raise WeakPassword("common", "this password is among the most common ones")


def accept_invite(session: Session, secret: str, password: str) -> PortalAccount:
    """Use the invite: set the password, end every earlier session, spend the invite."""
    invite, contractor = find_invite(session, secret)
    check_password(password, contractor.email)
    now = utcnow()
    password_hash = _hasher().hash(password)
    account = session.scalar(
        select(PortalAccount).where(PortalAccount.contractor_id == contractor.id)
    )
    created = account is None
    if account is None:
        account = PortalAccount(contractor_id=contractor.id, created_at=now)
        session.add(account)
    account.password_hash = password_hash
    account.password_changed_at = now
    account.sessions_valid_after = now
    invite.used_at = now
    session.flush()
    audit.record(
        session,
        "portal.password_set",
        "contractor",
        contractor.id,
        {"invite_id": invite.id, "first": created},
        actor=portal_actor(contractor.id),
    )
    # Told every time, so a change they did not make does not go unnoticed.
    notify_once(
        session,
        kind="account.password_changed",
        audience="contractor",
        contractor_id=contractor.id,
        dedupe_key=f"account.password_changed:{invite.id}",
        payload={"changed_at": now.isoformat(), "first": created},
    )
    return account


# --- signing in -------------------------------------------------------------------------


def _limits() -> tuple[FailureLimit, FailureLimit]:
    """Per client address and per email, counted in the shared store (:mod:`ratelimit`)."""
    config = current_app.config
    seconds = config["PORTAL_SIGNIN_WINDOW_SECONDS"]
    return (
        FailureLimit("portal_sign_in", config["PORTAL_SIGNIN_FAILURES_PER_CLIENT"], seconds),
        FailureLimit("portal_sign_in", config["PORTAL_SIGNIN_FAILURES_PER_EMAIL"], seconds),
    )


def sign_in_wait(client: str, email: str) -> int:
    """Seconds before this client, or anyone for this email, may try again (0: now)."""
    per_client, per_email = _limits()
    counter = failures()
    return max(
        counter.retry_after(per_client, f"client:{client}"),
        counter.retry_after(per_email, f"email:{email}"),
    )


def normal_email(email: str) -> str:
    """The form of an email that sign-in and password resets look up: as contractors'
    emails are stored; text that is no address at all fails like an unknown one."""
    try:
        return normalise_email(email).address
    except InvalidInput:
        return email.strip().lower()


def _count_failure(client: str, email: str) -> None:
    per_client, per_email = _limits()
    failures().fail(per_client, f"client:{client}")
    failures().fail(per_email, f"email:{email}")


def _check_wait(client: str, email: str) -> None:
    wait = sign_in_wait(client, email)
    if wait:
        raise TooManyRequests(
            "too many failed sign-ins; try again later", extra={"retry_after": wait}
        )


def request_password_reset(session: Session, email: str, client: str) -> None:
    """Forgot password: email a reset link if this is an account's address, else nothing.

    The caller shows the same answer either way. Every request counts against the sign-in
    limits (per client and per email), so it can neither flood a mailbox nor probe faster
    than guessing passwords could.
    """
    email = normal_email(email)
    _check_wait(client, email)
    # Counted in the store's own transaction, before this request's session begins one.
    _count_failure(client, email)
    contractor_id = session.scalar(
        select(Contractor.id)
        .join(PortalAccount, PortalAccount.contractor_id == Contractor.id)
        .where(Contractor.email == email, Contractor.status != "offboarded")
    )
    if contractor_id is not None:
        # The answer is the same whatever happens here (nothing sent during a cooling-off).
        with suppress(Conflict):
            send_portal_link(session, contractor_id, actor=FORGOT_PASSWORD_ACTOR)


def authenticate(session: Session, email: str, password: str, client: str) -> Contractor:
    """The contractor whose email and password these are; rate-limited failures.

    Raises :class:`TooManyRequests` (with ``retry_after``) past the limits and
    :class:`SignInFailed` for a wrong email or password, an offboarded contractor, or a
    contractor without a password yet — all the same to the caller.
    """
    email = normal_email(email)
    _check_wait(client, email)
    found = session.execute(
        select(PortalAccount, Contractor)
        .join(Contractor, Contractor.id == PortalAccount.contractor_id)
        .where(Contractor.email == email)
    ).first()
    account, contractor = found if found is not None else (None, None)
    try:
        _hasher().verify(account.password_hash if account else _dummy_hash(), password)
        verified = account is not None
    except (VerificationError, InvalidHashError):
        verified = False
    signed_in = verified and contractor is not None and contractor.status != "offboarded"
    # Nothing is written yet: end the lookup's transaction so that the failure count (or
    # clearing it) can commit in its own, which must outlive a failed request, without
    # waiting on this request's SQLite write lock. The rows reload on next use.
    session.rollback()
    if not signed_in:
        _count_failure(client, email)
        raise SignInFailed()
    assert account is not None and contractor is not None  # signed_in implies both
    failures().clear(_limits()[1], f"email:{email}")
    now = utcnow()
    if _hasher().check_needs_rehash(account.password_hash):
        account.password_hash = _hasher().hash(password)
    account.last_sign_in_at = now
    session.flush()
    audit.record(
        session,
        "portal.sign_in",
        "contractor",
        contractor.id,
        {},
        actor=portal_actor(contractor.id),
    )
    return contractor


# --- sessions ---------------------------------------------------------------------------


def _session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["PORTAL_SESSION_HOURS"])


def session_contractor(
    session: Session, contractor_id: int, issued_at: dt.datetime, session_id: str
) -> Contractor | None:
    """The contractor of a portal session, or None when the session is over."""
    if issued_at + _session_lifetime() <= utcnow():
        return None
    revoked = session.scalar(
        select(PortalSessionRevocation.id).where(
            PortalSessionRevocation.session_hash == hash_secret(session_id)
        )
    )
    if revoked is not None:
        return None
    found = session.execute(
        select(PortalAccount.sessions_valid_after, Contractor)
        .join(Contractor, Contractor.id == PortalAccount.contractor_id)
        .where(PortalAccount.contractor_id == contractor_id)
    ).first()
    if found is None:
        return None
    valid_after, contractor = found
    if contractor.status == "offboarded" or issued_at <= valid_after:
        return None
    return contractor


def _end_sessions(session: Session, contractor_id: int) -> bool:
    result = session.execute(
        update(PortalAccount)
        .where(PortalAccount.contractor_id == contractor_id)
        .values(sessions_valid_after=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def sign_out(session: Session, contractor_id: int, session_id: str) -> None:
    """End this one portal session on the server (other devices stay signed in)."""
    now = utcnow()
    # Rows of sessions that have expired by now protect nothing: drop them as we go.
    session.execute(
        delete(PortalSessionRevocation).where(PortalSessionRevocation.expires_at <= now)
    )
    session.add(
        PortalSessionRevocation(
            session_hash=hash_secret(session_id),
            contractor_id=contractor_id,
            revoked_at=now,
            expires_at=now + _session_lifetime(),
        )
    )
    session.flush()
    audit.record(
        session,
        "portal.sign_out",
        "contractor",
        contractor_id,
        {},
        actor=portal_actor(contractor_id),
    )


def sign_out_everywhere(session: Session, contractor_id: int) -> None:
    """End every portal session of the contractor, on every device."""
    _end_sessions(session, contractor_id)
    session.flush()
    audit.record(session, "portal.sign_out_everywhere", "contractor", contractor_id, {})


def end_portal_access(session: Session, contractor_id: int) -> bool:
    """Offboarding: end every session and spend every open invite. True if there was an
    account. (Each request also checks the contractor's status, so this is belt and braces.)"""
    _revoke_invites(session, contractor_id, utcnow())
    return _end_sessions(session, contractor_id)
