"""Cross-domain reactions: one package announces what happened, another reacts, and neither
imports the other.

A signal is sent with the caller's session and runs its receivers synchronously, inside the
caller's transaction: a receiver that fails rolls the whole change back, so a rotation is
never started with its shifts left on the sensitive queue. Receivers live in each reacting
package's ``receivers`` module, connected when :func:`workforce.create_app` imports them.

Blinker is the signal library Flask itself uses.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from sqlalchemy.orm import Session

_signals = Namespace()

#: ``contractor_id``: the contractor was just offboarded. Identity revokes their API tokens,
#: portal sessions and open invites, and reports what it ended (merged into the audit row).
contractor_offboarded = _signals.signal("contractor-offboarded")

#: ``rotation``: a rotation was just started. Scheduling moves the contractor's tier >= 2
#: shifts inside it to a fallback queue, or cancels them for cover.
rotation_started = _signals.signal("rotation-started")


class NoReceiver(RuntimeError):
    """A reaction the product promises has nobody to perform it (a wiring fault)."""


def react(signal: NamedSignal, session: Session, **facts: Any) -> dict[str, Any]:
    """Send ``signal`` and merge the dicts its receivers return.

    A signal nobody receives is refused rather than sent into the void: every signal here
    stands for a promise (shifts moved off a queue, access ended), and skipping one silently
    would harm a person.
    """
    if not signal.receivers:
        raise NoReceiver(f"no receiver is connected to {signal.name!r}")
    merged: dict[str, Any] = {}
    for _receiver, reported in signal.send(session, **facts):
        merged.update(reported or {})
    return merged
