"""Small-group suppression for published aggregates: pure functions, no database.

**Primary suppression.** A cell (one report row) counting fewer than ``k`` distinct
contractors is suppressed: its metrics are published as null.

**Complementary suppression.** A published total (the report's total row, or any subtotal
shown) is the sum of its member cells. If exactly one member of a published total is
suppressed, total minus the visible members gives it back. So for every published total,
either none or at least two of its members are suppressed: when exactly one is, a visible
member is suppressed too, the one that loses least: the fewest contractors (ties: the
smallest value, then the lowest index), and never a *key* cell when another visible member
will do. Key cells are what the reader asked about (``keep``; the exposure report passes
the rows that match a filter the report was asked with, e.g. the mitigation filtered on):
hiding one of them to protect a neighbour would empty the report of its point. A key cell
is hidden only when every other visible member is key too (the total stays published: it
is also the total of the ungrouped report, so hiding it instead would protect nothing).
A total whose only hidden member cannot be paired (no visible
member left) is suppressed itself. Totals overlap (a cell may belong to a row and a column
total), so this repeats until nothing changes (a fixed point: at most one pass per cell).

A total counting fewer than ``k`` contractors is itself a small group and is suppressed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

#: The smallest ``k`` ever applied, whatever the configuration says.
MIN_K = 5
DEFAULT_K = 10


def effective_k(configured: int | None) -> int:
    """The configured minimum group size, never below :data:`MIN_K`."""
    if configured is None:
        return DEFAULT_K
    return max(MIN_K, int(configured))


@dataclass(frozen=True, slots=True)
class Suppression:
    #: Indices of the suppressed cells.
    cells: frozenset[int]
    #: Indices (into the ``totals`` argument) of the suppressed totals.
    totals: frozenset[int]


def suppress(
    contractors: Sequence[int],
    k: int,
    totals: Sequence[Sequence[int]] = (),
    *,
    total_contractors: Sequence[int] | None = None,
    values: Sequence[float] | None = None,
    also_hide: Collection[int] = (),
    also_hide_totals: Collection[int] = (),
    keep: Collection[int] = (),
) -> Suppression:
    """Which cells (and totals) to hide.

    ``contractors[i]`` is cell i's number of distinct contractors; ``totals`` lists, for
    each published total, the indices of the cells it sums; ``total_contractors[j]`` is
    total j's own number of distinct contractors (default: the sum of its members');
    ``values`` orders ties when a complementary cell is chosen. ``also_hide`` and
    ``also_hide_totals`` are hidden whatever their size (a caller's own primary rule, e.g.
    against differencing); complementary suppression then covers them too. ``keep``: key
    cells, chosen as a complement only when no other visible member of the total is left
    (a key cell under ``k`` is still suppressed).
    """
    k = effective_k(k)
    hidden = {i for i, n in enumerate(contractors) if n < k} | set(also_hide)
    members = [sorted(set(t)) for t in totals]
    sizes = (
        list(total_contractors)
        if total_contractors is not None
        else [sum(contractors[i] for i in m) for m in members]
    )
    hidden_totals = {j for j, n in enumerate(sizes) if n < k} | set(also_hide_totals)

    key = frozenset(keep)

    def order(i: int) -> tuple[bool, float, float, int]:
        value = values[i] if values is not None else 0.0
        return (i in key, contractors[i], value, i)

    changed = True
    while changed:
        changed = False
        for j, cells in enumerate(members):
            if j in hidden_totals:
                continue
            inside = [i for i in cells if i in hidden]
            if len(inside) != 1:
                continue
            visible = [i for i in cells if i not in hidden]
            if visible:
                hidden.add(min(visible, key=order))
            else:  # pragma: no cover - a one-member total has the member's own size
                hidden_totals.add(j)
            changed = True
    return Suppression(frozenset(hidden), frozenset(hidden_totals))


def recoverable(
    hidden: frozenset[int], totals: Sequence[Sequence[int]], hidden_totals: frozenset[int]
) -> list[int]:
    """Cells that a published total gives back by subtraction (should be empty)."""
    found = []
    for j, cells in enumerate(totals):
        if j in hidden_totals:
            continue
        inside = [i for i in set(cells) if i in hidden]
        if len(inside) == 1:
            found.append(inside[0])
    return found
