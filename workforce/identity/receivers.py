"""Identity's reactions to other domains (:mod:`workforce.signals`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workforce.identity.access import revoke_contractor_tokens
from workforce.identity.accounts import end_portal_access
from workforce.signals import contractor_offboarded


@contractor_offboarded.connect
def end_access(session: Session, *, contractor_id: int) -> dict[str, Any]:
    """An offboarded contractor keeps no way in: tokens, portal sessions, open invites."""
    return {
        "tokens_revoked": revoke_contractor_tokens(session, contractor_id),
        "portal_sessions_ended": end_portal_access(session, contractor_id),
    }
