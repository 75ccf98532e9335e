"""The request session: readers for GET, writers otherwise, and ``write=True`` for an audited
read (it must come first: a SQLite read transaction is not upgraded safely)."""

from __future__ import annotations

import pytest

from workforce import db


def test_a_get_reads_unless_asked_to_write(app) -> None:
    with app.test_request_context("/", method="GET"):
        session = db.session()
        assert session.get_bind() is db.get_db().engine
        assert db.session() is session
        with pytest.raises(RuntimeError):
            db.session(write=True)
    with app.test_request_context("/", method="GET"):
        session = db.session(write=True)
        assert session.get_bind() is db.get_db().write_engine
        assert db.session() is session
        assert db.session(write=True) is session


def test_other_methods_write(app) -> None:
    with app.test_request_context("/", method="POST"):
        assert db.session().get_bind() is db.get_db().write_engine
        db.session(write=True)  # already a writer: fine
