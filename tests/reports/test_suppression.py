"""Small-group suppression: nothing hidden can be recomputed from what is published."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import empty_tables
from tests.factories import make_queue
from workforce import db
from workforce.contractors.services import create_contractor
from workforce.exposure.ingest import rebuild_contractor_days
from workforce.exposure.models import ExposureDaily
from workforce.reports.evidence import policies_in_force
from workforce.reports.exposure import ExposureArgs, exposure_report
from workforce.reports.suppression import effective_k, recoverable, suppress

DAY = dt.date(2026, 3, 2)


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


def test_the_complement_is_the_smallest_group_but_never_a_key_cell_when_another_will_do() -> None:
    # one contractor elsewhere (cell 0) would take the key cell (11) with it
    assert suppress([1, 11, 15], 10, [[0, 1, 2]]).cells == frozenset({0, 1})
    result = suppress([1, 11, 15], 10, [[0, 1, 2]], keep=[1])
    assert result.cells == frozenset({0, 2}) and not result.totals
    # among the others, still the smallest group
    assert suppress([1, 11, 15, 12], 10, [[0, 1, 2, 3]], keep=[1]).cells == frozenset({0, 3})


def test_a_key_cell_is_hidden_when_nothing_else_will_do() -> None:
    # the total is published by the ungrouped report too: hiding it would protect nothing
    result = suppress([2, 30], 10, [[0, 1]], keep=[1])
    assert result.cells == frozenset({0, 1}) and not result.totals
    # and a small key cell is a small group like any other
    assert suppress([3, 30, 40], 10, [[0, 1, 2]], keep=[0]).cells == frozenset({0, 1})


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


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.integers(1, 14), st.sampled_from(["q1", "q2"])), min_size=1, max_size=6),
    st.sampled_from(["country", "queue"]),
    st.integers(5, 12),
)
def test_exposure_report_over_random_populations(app, groups, key, k) -> None:
    """Whole reports over random populations (one country per entry, people working one of
    two queues): no visible row under k; from the total and the visible rows, the seconds
    of hidden rows come back only as a sum of two or more."""
    empty_tables(app)
    with app.test_request_context(), db.transaction(app) as session:
        queues = {
            slug: make_queue(session, slug=slug, tier=2, categories=["self_harm"])
            for slug in ("q1", "q2")
        }
        for index, (people, slug) in enumerate(groups):
            country = "ABCDEF"[index] + "X"
            for n in range(people):
                person = create_contractor(
                    session,
                    {
                        "full_name": f"P{index}-{n}",
                        "email": f"p{index}-{n}@example.org",
                        "country": "KE",
                        "timezone": "Africa/Nairobi",
                    },
                )
                person.country = country  # any two letters: groups need not be real countries
                session.add(
                    ExposureDaily(
                        contractor_id=person.id,
                        local_day=DAY,
                        tier=2,
                        category="self_harm",
                        queue_id=queues[slug],
                        seconds=60 * (10 + 7 * n + index),
                        items=1,
                        events=1,
                    )
                )
        session.flush()
        rebuild_contractor_days(session)
    with db.get_db(app).reader() as session:
        body = exposure_report(
            session,
            ExposureArgs(start=DAY, end=DAY, group_by=(key,)),
            policies_in_force(session, DAY, DAY),
            k,
        )
    rows, total = body["rows"], body["total"]
    for row in rows:
        assert row["suppressed"] or row["contractors"] >= k
    hidden = [row for row in rows if row["suppressed"]]
    if total["suppressed"]:
        assert total["contractors"] is None
        return
    assert len(hidden) != 1  # total minus the visible rows never isolates one row
    if hidden:
        visible = sum(row["exposure_hours"] for row in rows if not row["suppressed"])
        assert total["exposure_hours"] - visible > 0  # what is left is shared by 2+ rows


def test_the_report_keeps_the_row_filtered_on(app, client, admin, new_contractor) -> None:
    """``mitigation=blurred`` grouped by mitigations: one contractor whose blurred work was
    also muted is a small row; the complement is the other row, not ``blurred`` itself."""
    people = [new_contractor(country="KE") for _ in range(25)]
    with app.test_request_context(), db.transaction(app) as session:
        queue = make_queue(session, slug="gore", tier=3, categories=["violence_gore"])
        for n, cid in enumerate(people):
            mitigations = (
                "blurred" if n < 11 else "blurred,greyscale" if n < 24 else "blurred,muted"
            )
            session.add(
                ExposureDaily(
                    contractor_id=cid,
                    local_day=DAY,
                    tier=3,
                    category="violence_gore",
                    queue_id=queue,
                    modality="video",
                    mitigations=mitigations,
                    seconds=60 * (100 + n),
                    items=1,
                    events=1,
                )
            )
        session.flush()
        rebuild_contractor_days(session)
    url = f"/api/v1/reports/exposure?from={DAY}&to={DAY}&group_by=mitigations"
    rows = {r["mitigations"]: r for r in client.get(url, headers=admin).json["rows"]}
    # unfiltered, nothing is key: the smallest visible group goes with the small one
    assert rows["blurred,muted"]["suppressed"] and rows["blurred"]["suppressed"]
    body = client.get(url + "&mitigation=blurred", headers=admin).json
    rows = {r["mitigations"]: r for r in body["rows"]}
    assert rows["blurred,muted"]["suppressed"] and rows["blurred,greyscale"]["suppressed"]
    assert not rows["blurred"]["suppressed"] and rows["blurred"]["contractors"] == 11
    # still nothing recoverable: the total minus the visible row is two rows' sum
    hidden = [r for r in body["rows"] if r["suppressed"]]
    assert len(hidden) == 2 and not body["total"]["suppressed"]


@settings(max_examples=300, deadline=None)
@given(
    populations.flatmap(
        lambda p: st.tuples(st.just(p), st.sets(st.integers(0, len(p[0]) - 1), max_size=len(p[0])))
    ),
    st.integers(1, 15),
)
def test_key_cells_random_populations(case, k) -> None:
    """Nothing hidden is recoverable, and a key cell large enough to show is hidden only
    when every other member of the total is hidden too."""
    (counts, values), keep = case
    totals = [list(range(len(counts)))]
    result = suppress(counts, k, totals, values=[float(v) for v in values], keep=keep)
    _published_sums_reveal_nothing(counts, values, totals, k)
    assert not recoverable(result.cells, totals, result.totals)
    if result.totals:
        return
    for i in keep:
        if i in result.cells and counts[i] >= effective_k(k):
            others = [j for j in range(len(counts)) if j != i and j not in keep]
            assert all(j in result.cells for j in others), (counts, keep, result)
    # the complement (if any) is the smallest group the rule allowed
    forced = {i for i, n in enumerate(counts) if n < effective_k(k)}
    extra = result.cells - forced
    if extra and not (extra & set(keep)):
        (chosen,) = extra
        candidates = [j for j in range(len(counts)) if j not in forced and j not in keep]
        assert counts[chosen] == min(counts[j] for j in candidates)
