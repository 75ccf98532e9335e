"""Cross-domain reactions (workforce.signals): run in the sender's transaction, and never
silently skipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from blinker import Namespace
from flask import Flask

from tests.conftest import child_env
from workforce import db
from workforce.signals import NoReceiver, react


def test_a_signal_nobody_receives_is_refused(app: Flask) -> None:
    orphan = Namespace().signal("orphan")
    with db.transaction(app) as session, pytest.raises(NoReceiver, match="orphan"):
        react(orphan, session, contractor_id=1)


@pytest.mark.slow
def test_the_app_connects_every_promised_reaction(tmp_path: Path) -> None:
    # In a fresh interpreter, create_app alone connects the receivers (offboarding ends
    # access, a rotation moves shifts) and the email channel's contact lookup.
    script = (
        "from workforce import create_app, signals\n"
        "from workforce.notifications import contacts\n"
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/x.sqlite3'}})\n"
        "print(len(signals.contractor_offboarded.receivers),"
        " len(signals.rotation_started.receivers), contacts._lookup is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=child_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1", "True"]


def test_receivers_report_into_one_dict(app: Flask) -> None:
    signal = Namespace().signal("reporting")

    def first(session: object, **facts: int) -> dict[str, int]:
        return {"a": facts["n"]}

    def second(session: object, **facts: int) -> None:
        return None

    signal.connect(first)
    signal.connect(second)
    with db.transaction(app) as session:
        assert react(signal, session, n=3) == {"a": 3}
