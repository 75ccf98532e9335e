"""Step 1 of ingestion: shape and range checks of a whole batch, without the database.
One bad event rejects the batch, naming every ``events.<index>.<field>`` (the first
:data:`MAX_REPORTED_ERRORS`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from workforce.errors import InvalidInput
from workforce.exposure.ingest.events import EPOCH, US, ParsedEvent, make
from workforce.exposure.models import EVENT_ID_MAX
from workforce.harm import HARM_CATEGORIES, MITIGATIONS, MODALITIES, NO_MITIGATION

MAX_EVENTS = 5000
MAX_DURATION_SECONDS = 4 * 3600
MAX_FUTURE = dt.timedelta(minutes=5)
#: Events before this are refused as implausible (and keep date arithmetic in range).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_ITEMS = 100_000
REF_MAX = 100
#: At most this many field errors are listed in a 422 (the rest are counted in ``detail``).
MAX_REPORTED_ERRORS = 100
EVENT_FIELDS = frozenset(
    {
        "event_id",
        "contractor_id",
        "contractor_ref",
        "queue",
        "category",
        "started_at",
        "duration_seconds",
        "items",
        "modality",
        "mitigations",
    }
)
MAX_ID = 2**31 - 1
_ABSENT: Any = object()
_CATEGORIES = frozenset(HARM_CATEGORIES)
_MODALITIES = frozenset(MODALITIES)
#: Every set of mitigations -> its stored form (sorted, comma-joined; ``"none"`` for ``[]``).
_MITIGATION_SETS: dict[frozenset[str], str] = {
    frozenset(name for bit, name in enumerate(MITIGATIONS) if mask >> bit & 1): ",".join(
        sorted(name for bit, name in enumerate(MITIGATIONS) if mask >> bit & 1)
    )
    or NO_MITIGATION
    for mask in range(1 << len(MITIGATIONS))
}


def mitigation_set(value: object) -> str | None:
    """The stored form of a ``mitigations`` list: each of :data:`MITIGATIONS` at most once;
    ``None`` if it is not one."""
    if type(value) is not list or len(value) > len(MITIGATIONS):
        return None
    for name in value:
        if type(name) is not str:
            return None
    chosen = frozenset(value)
    if len(chosen) != len(value):
        return None
    return _MITIGATION_SETS.get(chosen)


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)")
_FRACTION = re.compile(r"(\.\d{6})\d+")

_EARLIEST_US = (EARLIEST - EPOCH) // US


class BatchErrors:
    """The problems of a batch, by ``events.<index>.<field>``; all reported at once."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.count = 0

    def add(self, index: int, field: str, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_REPORTED_ERRORS:
            key = f"events.{index}.{field}" if field else f"events.{index}"
            self.found.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self.count:
            first, messages = next(iter(self.found.items()))
            more = f" ({self.count} problems in all)" if self.count > 1 else ""
            raise InvalidInput(
                self.found, f"{first}: {messages[0]}{more}; no event of the batch was stored"
            )


def parse_timestamp(value: object) -> dt.datetime | None:
    """An RFC 3339 instant with its offset (as given); ``None`` if it is not one."""
    if type(value) is not str or not _RFC3339.fullmatch(value):
        return None
    text = value.upper()
    if len(text) > 32:
        text = _FRACTION.sub(r"\1", text)  # fromisoformat keeps at most microseconds
    try:
        parsed = dt.datetime.fromisoformat(text)
        parsed - EPOCH  # an offset that takes the instant out of range raises here
    except (ValueError, OverflowError):
        return None
    return parsed


def validate_events(events: object, now: dt.datetime) -> list[ParsedEvent]:
    """Shape and range checks of a whole batch, without the database; all or nothing.

    Hand-written rather than a marshmallow schema: this runs 5,000 times a request and is
    several times faster (see docs/benchmarks.md); the OpenAPI document still describes
    every field through the API's schema.
    """
    if not isinstance(events, list):
        raise InvalidInput.field("events", "must be a list of events")
    if not events:
        raise InvalidInput.field("events", "must hold at least one event")
    if len(events) > MAX_EVENTS:
        raise InvalidInput.field("events", f"at most {MAX_EVENTS} events per request")
    errors = BatchErrors()
    parsed: list[ParsedEvent] = []
    latest = (now + MAX_FUTURE - EPOCH) // US
    for index, raw in enumerate(events):
        # Fast path: a well-formed event passes one combined test. Anything else takes the
        # slow path below, which names every problem.
        if type(raw) is dict and raw.keys() <= EVENT_FIELDS:
            event_id: Any = raw.get("event_id")
            queue: Any = raw.get("queue")
            duration: Any = raw.get("duration_seconds")
            items: Any = raw.get("items", 1)
            contractor_id: Any = raw.get("contractor_id")
            contractor_ref: Any = raw.get("contractor_ref")
            category: Any = raw.get("category", _ABSENT)
            started: Any = raw.get("started_at")
            modality: Any = raw.get("modality")
            mitigations: Any = raw.get("mitigations")
            if (
                type(event_id) is str
                and 0 < len(event_id) <= EVENT_ID_MAX
                and type(queue) is str
                and 0 < len(queue) <= 64
                and type(duration) is int
                and 0 <= duration <= MAX_DURATION_SECONDS
                and type(items) is int
                and 0 <= items <= MAX_ITEMS
                and (
                    (
                        type(contractor_id) is int
                        and 0 < contractor_id <= MAX_ID
                        and "contractor_ref" not in raw
                    )
                    or (
                        type(contractor_ref) is str
                        and 0 < len(contractor_ref) <= REF_MAX
                        and "contractor_id" not in raw
                    )
                )
                and (category is _ABSENT or (type(category) is str and category in _CATEGORIES))
                # absent means unknown; present, a known value (null is an error)
                and (
                    modality in _MODALITIES
                    if type(modality) is str
                    else modality is None and "modality" not in raw
                )
                and (
                    (mitigations is None and "mitigations" not in raw)
                    or (mitigations := mitigation_set(mitigations)) is not None
                )
                and type(started) is str
                and _RFC3339.fullmatch(started)
            ):
                started_at: dt.datetime | None = None
                try:
                    started_at = dt.datetime.fromisoformat(
                        started if len(started) <= 32 else _FRACTION.sub(r"\1", started)
                    )
                    start_us = (started_at - EPOCH) // US
                except (ValueError, OverflowError):
                    start_us = None
                if started_at and start_us is not None and _EARLIEST_US <= start_us <= latest:
                    parsed.append(
                        make(
                            ParsedEvent,
                            (
                                index,
                                event_id,
                                contractor_id,
                                contractor_ref,
                                queue,
                                None if category is _ABSENT else category,
                                started_at,
                                start_us,
                                duration,
                                items,
                                modality,
                                mitigations,
                            ),
                        )
                    )
                    continue
        if type(raw) is not dict:
            errors.add(index, "", "must be an object")
            continue
        if not raw.keys() <= EVENT_FIELDS:
            for name in sorted(set(raw) - EVENT_FIELDS, key=str)[:5]:
                errors.add(index, str(name)[:64], "unknown field")
        ok = True
        event_id = raw.get("event_id")
        if type(event_id) is not str or not 0 < len(event_id) <= EVENT_ID_MAX:
            errors.add(index, "event_id", f"required: a string of 1 to {EVENT_ID_MAX} characters")
            ok = False
        # Present-but-null is an error like any other wrong type: only absence means "none".
        contractor_id = raw.get("contractor_id", _ABSENT)
        contractor_ref = raw.get("contractor_ref", _ABSENT)
        if contractor_id is not _ABSENT:
            if contractor_ref is not _ABSENT:
                errors.add(index, "contractor_id", "give contractor_id or contractor_ref, not both")
                ok = False
            elif type(contractor_id) is not int or not 0 < contractor_id <= MAX_ID:
                errors.add(index, "contractor_id", "must be a positive integer id")
                ok = False
            contractor_ref = None
        elif contractor_ref is not _ABSENT:
            if type(contractor_ref) is not str or not 0 < len(contractor_ref) <= REF_MAX:
                errors.add(
                    index, "contractor_ref", f"must be a string of 1 to {REF_MAX} characters"
                )
                ok = False
            contractor_id = None
        else:
            errors.add(index, "contractor_id", "required: contractor_id or contractor_ref")
            ok = False
        queue = raw.get("queue")
        if type(queue) is not str or not 0 < len(queue) <= 64:
            errors.add(index, "queue", "required: the queue's slug")
            ok = False
        category = raw.get("category")
        if "category" in raw and (type(category) is not str or category not in _CATEGORIES):
            errors.add(index, "category", "must be one of the harm categories")
            ok = False
        checked = parse_timestamp(raw.get("started_at"))
        start_us = 0
        if checked is None:
            errors.add(index, "started_at", "required: an RFC 3339 date-time with a UTC offset")
            ok = False
        else:
            start_us = (checked - EPOCH) // US
            if start_us > latest:
                errors.add(index, "started_at", "more than 5 minutes in the future")
                ok = False
            elif start_us < _EARLIEST_US:
                errors.add(index, "started_at", "before 2000-01-01")
                ok = False
        duration = raw.get("duration_seconds")
        if type(duration) is not int or not 0 <= duration <= MAX_DURATION_SECONDS:
            errors.add(
                index, "duration_seconds", f"required: an integer from 0 to {MAX_DURATION_SECONDS}"
            )
            ok = False
        items = raw.get("items", 1)
        if type(items) is not int or not 0 <= items <= MAX_ITEMS:
            errors.add(index, "items", f"must be an integer from 0 to {MAX_ITEMS}")
            ok = False
        modality = raw.get("modality")
        if "modality" in raw and (type(modality) is not str or modality not in _MODALITIES):
            errors.add(index, "modality", f"must be one of {', '.join(MODALITIES)}")
            ok = False
        mitigations = None
        if "mitigations" in raw:
            mitigations = mitigation_set(raw["mitigations"])
            if mitigations is None:
                errors.add(
                    index,
                    "mitigations",
                    f"must be a list of distinct values from {', '.join(MITIGATIONS)}",
                )
                ok = False
        if ok:
            parsed.append(
                ParsedEvent(
                    index,
                    event_id,
                    contractor_id,
                    contractor_ref,
                    queue,
                    category,
                    checked,  # type: ignore[arg-type]
                    start_us,
                    duration,
                    items,
                    modality,
                    mitigations,
                )
            )
    errors.raise_if_any()
    return parsed
