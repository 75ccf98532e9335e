"""What no person should read: raw codes in text meant for people (issue 23).

Shared by the translation tests of the portal, the pay slips and the emails.
"""

from __future__ import annotations

import re

#: Links and addresses are data a person uses as is; their dots and underscores are fine.
_LINKS = re.compile(r"\S+@\S+|https?://\S+|/portal/\S*")
_RAW = [
    # snake_case or UPPER_CASE identifiers: weekly_limit, RESILIENCE_TRAINING
    re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])"),
    re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w-])"),
    # notice kinds: shift.cancelled, time_off.approved
    re.compile(r"(?<![\w.])[a-z][a-z_]+\.[a-z][a-z_]+(?![\w.])"),
    # a locale code (fr_FR) or a bare language code as a value: "Lugha: sw"
    re.compile(r"(?<!\w)[a-z]{2,3}_[A-Z]{2}(?!\w)"),
    re.compile(r":\s(?:[a-z]{2}|fil)(?=\s*$|\s*[|·)(]|\s+[A-Z])"),
    # a value that was missing: "(policy version -)"
    re.compile(r"\s-\)"),
]


def raw_codes(text: str) -> list[str]:
    """The raw codes in ``text`` (a page's visible text, a slip, an email)."""
    text = _LINKS.sub(" ", text)
    return [found.group(0) for pattern in _RAW for found in pattern.finditer(text)]
