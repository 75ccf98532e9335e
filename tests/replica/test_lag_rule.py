"""The rule that decides how far behind a standby is (``db.replica_lag``), and the WAL
positions it compares (``db.lsn_value``), as properties. Pure: SQLite and PostgreSQL."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workforce.db import lsn_value, replica_lag

halves = st.integers(0, 2**32 - 1)
positions = st.none() | st.integers(0, 2**64 - 1)
seconds = st.none() | st.floats(-5, 1e6, allow_nan=False)


@given(halves, halves, halves, halves)
def test_wal_positions_compare_as_postgresql_orders_them(a: int, b: int, c: int, d: int) -> None:
    left, right = lsn_value(f"{a:X}/{b:X}"), lsn_value(f"{c:X}/{d:X}")
    assert left is not None and right is not None
    assert (left < right) == ((a, b) < (c, d))
    assert (left == right) == ((a, b) == (c, d))


@given(st.booleans(), positions, positions, seconds, positions)
def test_the_lag_is_zero_when_caught_up_else_the_age_of_the_last_replay(
    standby: bool,
    replayed: int | None,
    received: int | None,
    since_replay: float | None,
    primary: int | None,
) -> None:
    lag = replica_lag(
        standby=standby,
        replayed=replayed,
        received=received,
        since_replay=since_replay,
        primary=primary,
    )
    if not standby:
        assert lag is None  # a promoted server or a primary is never read as a replica
        return
    caught_up = replayed is not None and (
        replayed >= primary
        if primary is not None
        else received is not None and replayed >= received
    )
    if caught_up:
        assert lag == 0.0  # however long ago the last transaction was (an idle primary)
    elif since_replay is None:
        assert lag is None  # behind, and nothing to date it by
    else:
        assert lag == max(0.0, since_replay)
        assert lag >= 0


@given(positions, st.integers(0, 2**64 - 1), st.floats(0, 1e6, allow_nan=False))
def test_replaying_further_never_makes_the_lag_larger(
    replayed: int | None, primary: int, since_replay: float
) -> None:
    def lag(at: int | None) -> float | None:
        return replica_lag(
            standby=True, replayed=at, received=None, since_replay=since_replay, primary=primary
        )

    before, after = lag(replayed), lag(primary)
    assert after == 0.0
    assert before is not None and before >= after
