"""Wellbeing aggregates only for whole, fixed bins (issue 17, point 2): the differencing
attack cannot be asked, and no two released cells over overlapping bins differ by fewer
than k people."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from tests.factories import make_queue, make_shift
from workforce import db
from workforce.reports.suppression import MIN_K
from workforce.reports.wellbeing import (
    GROUPS,
    Bin,
    BinData,
    freeze_bin,
    month_of,
    overlapping,
    week_of,
)
from workforce.reports.wellbeing import wellbeing_report as report
from workforce.shifts.models import Shift
from workforce.wellbeing.models import CheckIn

URL = "/api/v1/reports/wellbeing"
#: Any day after the bins below: they are all over.
TODAY = dt.date(2026, 6, 1)


def add_work(app, queue_ids: dict[str, int], shifts, check_ins) -> None:
    """``shifts``: (contractor, queue slug, day); ``check_ins``: (contractor, day, flagged)."""
    with db.transaction(app) as session:
        for contractor, slug, day in shifts:
            starts = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
            make_shift(session, contractor, queue_ids[slug], starts, hours=8, status="completed")
        for contractor, day, flagged in check_ins:
            session.add(
                CheckIn(
                    contractor_id=contractor,
                    instrument="phq9",
                    answers=None,
                    score=12 if flagged else 2,
                    raw_score=12 if flagged else 2,
                    band="moderate" if flagged else "minimal",
                    flagged=flagged,
                    urgent=False,
                    created_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
                )
            )


def make_queues(app, *slugs: str) -> dict[str, int]:
    return {
        slug: make_queue(app, slug=slug, tier=2, categories=["hate_extremism"]) for slug in slugs
    }


def test_the_differencing_attack_can_no_longer_be_asked(
    app, client, as_role, new_contractor
) -> None:
    """1-4 Dec and 2-4 Dec gave 11 and 10 participants, 4 and 3 flagged: one person's
    flagged screen. Such periods are refused; the nearest bins that can be asked (a month and
    a week inside it, differing by that one person) both hide the cell and the total."""
    compliance = as_role("compliance")
    for period, field in (
        ("from=2026-12-01&to=2026-12-04", "to"),
        ("from=2026-12-02&to=2026-12-04", "from"),
    ):
        answer = client.get(f"{URL}?{period}", headers=compliance)
        assert answer.status_code == 422, period
        assert answer.json["code"] == "period_not_aligned"
        assert list(answer.json["errors"]) == [field]

    # The same people in bins: ten check in in the week of 9-15 March (three flagged), the
    # eleventh, flagged, only on 3 March. March has 11 participants, 4 flagged.
    queues = make_queues(app, "hate-ph")
    people = [new_contractor(country="PH") for _ in range(11)]
    week = [(p, "hate-ph", dt.date(2026, 3, 10)) for p in people[:10]]
    add_work(
        app,
        queues,
        [*week, (people[10], "hate-ph", dt.date(2026, 3, 3))],
        [(p, dt.date(2026, 3, 11), n < 3) for n, p in enumerate(people[:10])]
        + [(people[10], dt.date(2026, 3, 3), True)],
    )
    for period in ("from=2026-03-01&to=2026-03-31", "from=2026-03-09&to=2026-03-15"):
        body = client.get(f"{URL}?{period}", headers=compliance).json
        assert body["rows"][0]["suppressed"] is True, period
        assert body["total"]["suppressed"] is True, period


def test_a_released_bin_does_not_change_when_a_contractor_moves(
    app, client, as_role, new_contractor
) -> None:
    """Moving one contractor to another country and asking again would add that person to a
    released cell: a bin is frozen the first time it is read after it is over, and so are the
    bins that overlap it (the weeks of the month here), which were read to suppress it."""
    queues = make_queues(app, "hate-ph", "hate-ke")
    ph = [new_contractor(country="PH") for _ in range(10)]
    ke = [new_contractor(country="KE") for _ in range(11)]
    moved = ke[-1]  # flagged
    day = dt.date(2026, 3, 10)
    add_work(
        app,
        queues,
        [(p, "hate-ph", day) for p in ph] + [(p, "hate-ke", day) for p in ke],
        [(p, day, n < 3) for n, p in enumerate(ph)] + [(p, day, p == moved) for p in ke],
    )
    compliance, admin = as_role("compliance"), as_role("admin")
    march = f"{URL}?from=2026-03-01&to=2026-03-31"
    first = client.get(march, headers=compliance).json
    assert [(r["country"], r["participants"]) for r in first["rows"]] == [("KE", 11), ("PH", 10)]
    patched = client.patch(f"/api/v1/contractors/{moved}", json={"country": "PH"}, headers=admin)
    assert patched.status_code == 200, patched.json
    again = client.get(march, headers=compliance).json
    assert again["rows"] == first["rows"] and again["total"] == first["total"]
    week = client.get(f"{URL}?from=2026-03-09&to=2026-03-15", headers=compliance).json
    assert week["rows"] == first["rows"]  # as of the first read, not after the move


def test_the_first_stored_bin_wins(app) -> None:
    march = month_of(dt.date(2026, 3, 1))
    one = BinData({"country": {"KE": frozenset({1})}, "queue": {}}, {1: True})
    other = BinData({"country": {"PH": frozenset({2})}, "queue": {}}, {2: False})
    with db.transaction(app) as session:
        assert freeze_bin(session, march, one) == one
    with db.transaction(app) as session:
        assert freeze_bin(session, march, other) == one


@pytest.mark.parametrize(
    ("period", "field", "code"),
    [
        ("from=2026-03-02&to=2026-03-09", "to", "period_not_aligned"),  # 8 days
        ("from=2026-03-03&to=2026-03-09", "from", "period_not_aligned"),  # a Tuesday
        ("from=2026-01-01&to=2026-02-28", "to", "period_not_aligned"),  # two months
        ("from=2026-03-31&to=2026-03-01", "from", "validation_error"),  # backwards
        ("from=2999-01-01&to=2999-01-31", "to", "period_not_closed"),  # not over yet
    ],
)
def test_only_whole_bins_that_are_over(client, as_role, period, field, code) -> None:
    answer = client.get(f"{URL}?{period}", headers=as_role("admin"))
    assert answer.status_code == 422
    assert answer.json["code"] == code and field in answer.json["errors"]


def test_the_current_bin_is_not_released(client, as_role) -> None:
    today = db.utcnow().date()
    current = week_of(today)
    answer = client.get(f"{URL}?from={current.start}&to={current.end}", headers=as_role("admin"))
    assert answer.status_code == 422 and answer.json["code"] == "period_not_closed"


def test_overlapping_bins() -> None:
    march = month_of(dt.date(2026, 3, 17))
    assert (march.start, march.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    weeks = overlapping(march)[1:]
    assert [w.start for w in weeks] == [
        dt.date(2026, 2, 23) + dt.timedelta(days=7 * n) for n in range(6)
    ]
    spanning = week_of(dt.date(2026, 3, 31))
    assert overlapping(spanning) == [spanning, march, month_of(dt.date(2026, 4, 1))]


# --- the property, on a real database -------------------------------------------------------

#: Two months of data: bins are these months and the ISO weeks that touch them.
FIRST_DAY, LAST_DAY = dt.date(2026, 2, 1), dt.date(2026, 3, 31)
QUEUES = ("q-a", "q-b")
PEOPLE = 16  # half KE, half PH


def every_bin() -> list[Bin]:
    bins = {month_of(FIRST_DAY), month_of(LAST_DAY)}
    day = FIRST_DAY
    while day <= LAST_DAY:
        bins.add(week_of(day))
        day += dt.timedelta(days=1)
    return sorted(bins)


@dataclass(frozen=True)
class World:
    shifts: list[tuple[int, str, dt.date]]
    check_ins: list[tuple[int, dt.date, bool]]


#: Few distinct days, so that bins hold enough people to be released at k = 5: two in one
#: February week, the Sunday and Monday either side of the week that spans both months, two
#: in one March week, and a Tuesday whose week runs into April.
DAYS_USED = [dt.date(2026, 2, d) for d in (3, 5, 26)] + [
    dt.date(2026, 3, d) for d in (1, 2, 10, 12, 31)
]
#: A person's day: worked a tier-2 queue (or not), checked in (or not), flagged (or not).
person_day = st.tuples(st.sampled_from(DAYS_USED), st.sampled_from((*QUEUES, None)), st.booleans())
check = st.one_of(st.none(), st.booleans())  # None: no check-in that day


@st.composite
def worlds(draw: st.DrawFn) -> World:
    shifts, check_ins = [], []
    for person in range(PEOPLE):
        for day, queue, _ in draw(st.lists(person_day, max_size=4)):
            if queue is not None:
                shifts.append((person, queue, day))
            flagged = draw(check)
            if flagged is not None:
                check_ins.append((person, day, flagged))
    return World(shifts, check_ins)


def expected_sets(world: World, ids: list[int], countries: dict[int, str], bin_: Bin):
    """Independently of the code: each cell's participants, by grouping and key, and the
    total, as the module docstring defines them."""
    inside = lambda d: bin_.start <= d <= bin_.end  # noqa: E731
    checked = {ids[p] for p, d, _f in world.check_ins if inside(d)}
    cells: dict[tuple[str, str], set[int]] = defaultdict(set)
    for p, slug, d in world.shifts:
        if inside(d) and ids[p] in checked:
            cells[("queue", slug)].add(ids[p])
            cells[("country", countries[ids[p]])].add(ids[p])
    everyone = {ids[p] for p, _s, d in world.shifts if inside(d)} & checked
    return cells, everyone


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_no_two_released_cells_differ_by_fewer_than_k(app, new_contractor, world) -> None:
    """For every pair of allowed requests over overlapping bins (a week and a month it
    touches, or one bin grouped two ways), each released cell's participants equal the
    other's or differ by at least k people. Disjoint bins count disjoint check-ins, so their
    difference is nobody's screen."""
    # Queues and contractors once per test: the app fixture outlives the examples.
    state = app.extensions.setdefault("test_world", {})
    if not state:
        state["queues"] = make_queues(app, *QUEUES)
        state["ids"] = [new_contractor(country="KE" if n % 2 else "PH") for n in range(PEOPLE)]
    ids: list[int] = state["ids"]
    countries = {cid: ("KE" if n % 2 else "PH") for n, cid in enumerate(ids)}
    with db.transaction(app) as session:
        session.execute(delete(Shift))
        session.execute(delete(CheckIn))
    add_work(
        app,
        state["queues"],
        [(ids[p], slug, d) for p, slug, d in world.shifts],
        [(ids[p], d, f) for p, d, f in world.check_ins],
    )
    released: list[tuple[Bin, frozenset[int]]] = []
    with db.get_db(app).reader() as session:
        for bin_, grouping in itertools.product(every_bin(), GROUPS):
            body = report(session, bin_.start, bin_.end, group_by=grouping, k=MIN_K, today=TODAY)
            cells, everyone = expected_sets(world, ids, countries, bin_)
            shown = [(cells[(grouping, row[grouping])], row) for row in body["rows"]]
            shown.append((everyone, body["total"]))
            for people, row in shown:
                if row["suppressed"]:
                    continue
                # released figures are right, and never about fewer than k people
                assert row["participants"] == len(people) >= MIN_K
                released.append((bin_, frozenset(people)))
    for (a, first), (b, second) in itertools.combinations(released, 2):
        if a.start <= b.end and b.start <= a.end:
            difference = len(first ^ second)
            assert difference == 0 or difference >= MIN_K, (a, b, sorted(first ^ second))
