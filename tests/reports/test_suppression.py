"""Small-group suppression: nothing hidden can be recomputed from what is published."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.reports.suppression import effective_k, recoverable, suppress


def test_k_is_never_below_five() -> None:
    assert effective_k(1) == 5
    assert effective_k(None) == 10
    assert effective_k(12) == 12
    assert suppress([4, 6], 1).cells == frozenset({0})


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    result = suppress([3, 40, 12, 25], 10, [[0, 1, 2, 3]])
    assert result.cells == frozenset({0, 2})
    assert not result.totals


def test_no_small_cell_hides_nothing() -> None:
    assert suppress([10, 11], 10, [[0, 1]]).cells == frozenset()


def test_a_small_total_is_itself_hidden() -> None:
    result = suppress([3, 4], 10, [[0, 1]])
    assert result.cells == frozenset({0, 1})
    assert result.totals == frozenset({0})


def _published_sums_reveal_nothing(
    counts: list[int], values: list[int], totals: list[list[int]], k: int
) -> None:
    result = suppress(counts, k, totals, values=[float(v) for v in values])
    assert all(counts[i] >= effective_k(k) for i in range(len(counts)) if i not in result.cells)
    assert not recoverable(result.cells, totals, result.totals)
    for j, members in enumerate(totals):
        if j in result.totals:
            continue
        total = sum(values[i] for i in members)
        visible = sum(values[i] for i in members if i not in result.cells)
        hidden = [i for i in members if i in result.cells]
        # what the total gives back is the sum of two or more hidden cells, never one
        assert total - visible == sum(values[i] for i in hidden)
        assert len(hidden) != 1


populations = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 40), min_size=n, max_size=n),
        st.lists(st.integers(1, 10_000), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(populations, st.integers(1, 15))
def test_overall_total_random_populations(population, k) -> None:
    counts, values = population
    _published_sums_reveal_nothing(counts, values, [list(range(len(counts)))], k)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda rows: st.integers(1, 6).flatmap(
            lambda cols: st.tuples(
                st.just((rows, cols)),
                st.lists(st.integers(1, 40), min_size=rows * cols, max_size=rows * cols),
                st.lists(st.integers(1, 10_000), min_size=rows * cols, max_size=rows * cols),
            )
        )
    ),
    st.integers(1, 15),
)
def test_two_way_table_with_row_column_and_grand_totals(table, k) -> None:
    (rows, cols), counts, values = table
    row_totals = [[r * cols + c for c in range(cols)] for r in range(rows)]
    col_totals = [[r * cols + c for r in range(rows)] for c in range(cols)]
    totals = [*row_totals, *col_totals, list(range(rows * cols))]
    _published_sums_reveal_nothing(counts, values, totals, k)
