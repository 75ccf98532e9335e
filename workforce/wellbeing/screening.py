"""Validated scoring of the wellbeing screening instruments.

Scores follow the published manuals exactly; nothing is rescaled, weighted or imputed,
because the cut-points are only valid for the scoring they were derived with. A result
never decides anything about a contractor: ``flagged`` only opens a referral that a
counsellor reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from workforce.errors import InvalidInput
from workforce.wellbeing.instruments import (
    INSTRUMENTS,
    PCL5_DEFAULT_CUTOFF,
    Band,
    Instrument,
    pcl5_bands,
)

# INSTRUMENTS and Instrument are re-exported so callers need one import; the data itself
# lives in instruments.py.
__all__ = ["INSTRUMENTS", "Instrument", "ScreeningResult", "get_instrument", "score"]


@dataclass(frozen=True)
class ScreeningResult:
    instrument: str
    #: WHO-5: percentage 0-100; others: the published total
    score: int
    #: the plain sum of answers
    raw_score: int
    band: str
    #: opens a referral for a counsellor; never decides anything by itself
    flagged: bool
    #: PHQ-9 item 9 (thoughts of death or self-harm) answered above "Not at all"
    urgent: bool


def get_instrument(key: str) -> Instrument:
    """Return the instrument for ``key`` or raise ``InvalidInput`` keyed ``instrument``."""
    # isinstance first: an unhashable value from a JSON body (list, dict) must be a 422, not
    # a TypeError from the mapping lookup.
    if isinstance(key, str) and key in INSTRUMENTS:
        return INSTRUMENTS[key]
    # The offending value is not echoed back: it is client-controlled and may be arbitrary.
    raise InvalidInput.field("instrument", f"must be one of: {', '.join(INSTRUMENTS)}")


def score(
    instrument: str, answers: Sequence[object], *, pcl5_cutoff: int = PCL5_DEFAULT_CUTOFF
) -> ScreeningResult:
    """Score one completed questionnaire.

    ``answers`` holds one integer per item, in the published item order. Every problem is
    reported at once, keyed ``answers`` (shape) or ``answers.<0-based index>`` (value), so a
    form can highlight all wrong fields in one round trip. ``pcl5_cutoff`` only affects PCL-5.
    """
    inst = get_instrument(instrument)
    values = _validated_answers(inst, answers)
    bands = _pcl5_bands(pcl5_cutoff) if inst.key == "pcl5" else inst.bands

    raw = sum(values)
    total = raw * inst.score_multiplier
    band = _band_for(bands, total)
    urgent = any(values[i] > inst.min_value for i in inst.urgent_items)
    return ScreeningResult(
        instrument=inst.key,
        score=total,
        raw_score=raw,
        band=band,
        # An urgent answer always opens a referral, even when the total is low.
        flagged=urgent or band in inst.flagged_bands,
        urgent=urgent,
    )


def _is_int(value: object) -> TypeGuard[int]:
    # bool is a subclass of int, but True is not an answer; floats such as 2.0 are refused too
    # so a client bug (or an averaged value) cannot pass as a real response.
    return isinstance(value, int) and not isinstance(value, bool)


def _validated_answers(inst: Instrument, answers: object) -> list[int]:
    count = len(inst.items)
    # A str is a Sequence too; "000000000" must not be read as nine zeros.
    if isinstance(answers, str | bytes | bytearray) or not isinstance(answers, Sequence):
        raise InvalidInput.field("answers", f"must be a list of {count} integers")
    if len(answers) != count:
        raise InvalidInput.field(
            "answers", f"{inst.short_name} has {count} items; got {len(answers)}"
        )

    message = f"must be an integer from {inst.min_value} to {inst.max_value}"
    values: list[int] = []
    errors: dict[str, list[str]] = {}
    for index, value in enumerate(answers):
        if _is_int(value) and inst.min_value <= value <= inst.max_value:
            values.append(value)
        else:
            errors[f"answers.{index}"] = [message]
    if errors:
        raise InvalidInput(errors)
    return values


def _pcl5_bands(cutoff: int) -> tuple[Band, ...]:
    if not _is_int(cutoff) or not 1 <= cutoff <= 80:
        raise InvalidInput.field("pcl5_cutoff", "must be an integer from 1 to 80")
    # 1..80 keeps both bands non-empty, so the range is still tiled without gaps.
    return pcl5_bands(cutoff)


def _band_for(bands: tuple[Band, ...], value: int) -> str:
    for band in bands:
        if band.contains(value):
            return band.name
    # Unreachable for validated answers: bands are checked to tile the whole score range.
    raise AssertionError(f"no band contains {value}")
