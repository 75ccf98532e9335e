"""Step 3 of ingestion: extend each contractor's current *run* of continuous exposure
(:class:`ExposureRun`), noting the breaks that fall due and those cut short, and move its
``changes`` count (the rotation sweep measures again only those whose count moved).

**Runs (the continuous-exposure rule).** For each policy tier t with a continuous limit, a
run is exposure at tier t *and above* whose gaps are all shorter than tier t's break. A new
event that starts at least one break after the run's end starts a new run; one that overlaps
or comes within a break of the run extends it; one that ended at least a break before the
run started belongs to an older run and leaves the current one alone (late events do not
rewrite history). Gaps use the break of the policy in force when the batch is ingested.

**Breaks due and missed (break compliance).** When an event brings a tier-t run to tier t's
continuous limit (run end - run start >= the limit), a break is due from the run's end E
until E + tier t's break: ``breaks_due`` of that event's roll-up row counts one. The first
later event of the same run that has exposure after E (its end > E; it joins the run, so it
starts before E + break) cuts the break short: ``breaks_missed`` of *its* row counts one, and
no further break falls due in that run. At most one break per tier per run; a tier-3 event
can make the breaks of tiers 1, 2 and 3 due at once. docs/reports.md has the definition the
report uses (share taken = 1 - missed / due).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import attrgetter

from sqlalchemy.orm import Session

from workforce.exposure.ingest import dialect
from workforce.exposure.ingest.events import SECOND_US, Resolved
from workforce.exposure.models import RUN_COLUMNS
from workforce.exposure.policy import POLICY_TIERS, Policy

#: The run columns of a runs row, in :data:`RUN_COLUMNS` order.
_run_state = attrgetter(*RUN_COLUMNS)
#: The runs row as written: the contractor, the run columns, one more batch counted.
_WRITTEN = (
    ("contractor_id", "int"),
    *((name, "bigint") for name in RUN_COLUMNS),
    ("changes", "bigint"),
)
#: Every row is written, changed or not: ``changes`` tells the rotation sweep whose
#: roll-ups moved since it last measured them (a late event can add to a day's total
#: without moving the run).
_ON_CONFLICT = (
    "ON CONFLICT (contractor_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in RUN_COLUMNS)
    + ", changes = exposure_runs.changes + excluded.changes"
)


def extend_run(
    state: tuple[int, int] | None, intervals: Iterable[tuple[int, int]], gap: int
) -> tuple[int, int] | None:
    """Fold exposure intervals (sorted by start; any unit) into the current run
    ``(start, end)`` (module docstring). The plain statement of the rule: :func:`update_runs`
    inlines the same steps for every tier at once, and the tests hold both to a recount."""
    for start, end in intervals:
        if state is None or start >= state[1] + gap:
            state = (start, end)
        elif end + gap <= state[0]:
            continue  # an older run's event, reported late
        else:
            state = (min(start, state[0]), max(end, state[1]))
    return state


def update_runs(
    session: Session, events: Sequence[Resolved], policy: Policy
) -> dict[int, list[int]]:
    """Extend the runs; returns the breaks that fell due or were cut short, as index in
    ``events`` -> [due, missed] (module docstring)."""
    tracked = [t for t in POLICY_TIERS if policy.tier(t).continuous_limit_minutes]
    by_contractor: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for index, e in enumerate(events):
        if e.tier >= 1:
            by_contractor[e.contractor.id].append(
                (e.start_us, e.start_us + e.duration_seconds * SECOND_US, e.tier, index)
            )
    breaks: dict[int, list[int]] = {}
    if not by_contractor:
        return breaks
    ids = sorted(by_contractor)
    sql = dialect.of(session)
    current = {row.contractor_id: _run_state(row) for row in sql.read_runs(session, ids)}
    # extend_run(), inlined for all tracked tiers in one pass over each person's events
    # (this loop runs for every event ingested), with the breaks due and missed.
    plan = [
        (
            t,
            RUN_COLUMNS.index(f"tier{t}_start_us"),  # the run's end is the next column
            RUN_COLUMNS.index(f"tier{t}_due_us"),
            policy.break_seconds(t) * SECOND_US,
            (policy.tier(t).continuous_limit_minutes or 0) * 60 * SECOND_US,
        )
        for t in tracked
    ]
    rows = []
    empty = (None,) * len(RUN_COLUMNS)
    for cid in ids:
        before = current.get(cid, empty)
        state = list(before)
        for start, end, tier, index in sorted(by_contractor[cid]):
            for t, i, d, gap, limit in plan:
                if tier < t:
                    break
                run_start = state[i]
                if run_start is None or start >= state[i + 1] + gap:
                    state[i], state[i + 1], state[d] = start, end, None
                elif end + gap > run_start:
                    if start < run_start:
                        state[i] = start
                    due = state[d]
                    if due is not None and 0 < due < end:  # exposure during a due break
                        state[d] = -due
                        breaks.setdefault(index, [0, 0])[1] += 1
                    if end > state[i + 1]:
                        state[i + 1] = end
                else:
                    continue  # an older run's event, reported late
                if state[d] is None and state[i + 1] - state[i] >= limit:
                    state[d] = state[i + 1]
                    breaks.setdefault(index, [0, 0])[0] += 1
        rows.append((cid, *state, 1))
    sql.upsert(session, "exposure_runs", _WRITTEN, rows, _ON_CONFLICT)
    return breaks
