"""Functions an older SQLite lacks, which the app registers itself: each must answer as
SQLite's own does, on the text the app stores."""

from __future__ import annotations

import calendar
import datetime as dt
import sqlite3
from contextlib import closing

from hypothesis import given
from hypothesis import strategies as st

from workforce import db

INSTANTS = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
)


@given(moment=INSTANTS)
def test_unixepoch_of_a_stored_instant_is_sqlites(moment: dt.datetime) -> None:
    """Whole seconds rounded down; SQLite's own rounds to the millisecond first, so it may
    say one more (either way a length from them plus one second is never short)."""
    stored = db.sqlite_value(moment)
    with closing(sqlite3.connect(":memory:")) as conn:
        (native,) = conn.execute("SELECT unixepoch(?)", (stored,)).fetchone()
    fallback = db.unixepoch(stored)
    assert fallback == calendar.timegm(moment.utctimetuple())
    assert native - 1 <= fallback <= native
    assert db.unixepoch(None) is None
