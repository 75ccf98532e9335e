"""How the email channel reaches a contractor.

Contractors sit above notifications (they send notices), so notifications cannot import
them: the contractors package provides the lookup (:func:`provide`) when it is imported,
and the channel asks through :func:`contact`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Contact:
    contractor_id: int
    email: str
    #: The contractor's own locale (``sw_KE``), which picks the language of their messages.
    locale: str | None
    country: str
    timezone: str


Lookup = Callable[[Session, int], Contact | None]
_lookup: Lookup | None = None


def provide(lookup: Lookup) -> Lookup:
    """Install the one way to find a contractor's contact (a decorator)."""
    global _lookup
    _lookup = lookup
    return lookup


def contact(session: Session, contractor_id: int) -> Contact | None:
    """The contractor's contact; None for an unknown id."""
    if _lookup is None:
        raise RuntimeError("no contact lookup: workforce.contractors.contacts is not imported")
    return _lookup(session, contractor_id)
