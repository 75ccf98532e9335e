"""Email addresses: one normal form, and a skeleton that makes look-alikes equal.

- The normal form (:func:`normalise_email`) is what we store and sign in with: NFKC
  (full-width ``ｕｓｅｒ`` is ``user``), checked and normalised by ``email-validator``
  (IDNA: ``BÜCHER.de`` and ``xn--bcher-kva.de`` are both ``bücher.de``), lower-cased.
- The skeleton (:func:`skeleton`) is how an address looks: NFKC, case-folded, and each
  character replaced by the ASCII prototype it is confusable with, after Unicode
  Technical Standard #39 (https://www.unicode.org/reports/tr39/#def-skeleton). The pairs
  come from Unicode's ``confusables.txt`` as shipped by the ``confusable_homoglyphs``
  package. ``pаypal@example.org`` (a Cyrillic а) and ``paypal@example.org`` have one
  skeleton, so the second contractor to claim it is refused.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import cache

from confusable_homoglyphs.confusables import confusables_data
from email_validator import EmailNotValidError, validate_email

from workforce.errors import InvalidInput


@dataclass(frozen=True)
class Email:
    #: The stored form: NFKC, IDNA-normalised Unicode domain, lower case.
    address: str
    #: SHA-256 of the skeleton: unique among contractors, and no second copy of the address.
    skeleton_hash: str


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@cache
def _prototypes() -> dict[str, str]:
    """Folded character -> the ASCII character it is confusable with (its prototype).

    ``confusables.txt`` maps each source to a prototype; the package keeps the pairs in
    both directions, so a source is recognised by its single entry (``1 -> l``, ``0 -> O``)
    while a prototype lists all its sources. Only ASCII prototypes are kept: addresses are
    what we compare, and mapping to plain letters and digits never chains, so the skeleton
    is a fixed point (no transitive classes, which would join ``e`` and ``3``)."""
    ascii_sources = {
        char: target
        for char, entries in confusables_data.items()
        if len(char) == 1 and char.isascii() and _fold(char) == char and len(entries) == 1
        for target in [_fold(entries[0]["c"])]
        if len(target) == 1 and target.isascii()
    }
    # A character's own entries come first; those of a character that folds to it (Greek
    # capital Nu, confusable with N, folds to nu, confusable with v) only fill gaps.
    own: dict[str, set[str]] = {}
    folded_into: dict[str, set[str]] = {}
    for char, entries in confusables_data.items():
        folded = _fold(char)
        if len(folded) != 1 or folded.isascii():
            continue
        found = own if folded == char else folded_into
        for entry in entries:
            target = _fold(entry["c"])
            if len(target) == 1 and target.isascii():
                found.setdefault(folded, set()).add(ascii_sources.get(target, target))
    table = {char: min(targets) for char, targets in {**folded_into, **own}.items()}
    return {**table, **ascii_sources}


def skeleton(text: str) -> str:
    """How ``text`` looks: NFKC, case-folded, each character replaced by its prototype."""
    table = _prototypes()
    return "".join(table.get(char, char) for char in _fold(text))


def normalise_email(raw: str, field: str = "email") -> Email:
    """The normal form and skeleton of an address; a 422 naming ``field`` if it is none."""
    try:
        valid = validate_email(
            unicodedata.normalize("NFKC", raw.strip()), check_deliverability=False
        )
    except EmailNotValidError as error:
        raise InvalidInput.field(field, str(error)) from None
    address = f"{valid.local_part}@{valid.domain}".lower()
    digest = hashlib.sha256(skeleton(address).encode("utf-8")).hexdigest()
    return Email(address, digest)
