"""Migration 0164 re-points the citation in stored exposure policies (names and notes, which
the API serves as stored) to docs/architecture.md, and changes nothing else."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import text

from workforce import create_app, db
from workforce.cli import alembic_config, upgrade
from workforce.exposure.policy import DEFAULT_POLICY

#: The revision 0164 follows in the chain.
BEFORE_0164 = "0163"
#: The citation migration 0103 stored, and the file that now holds its content.
OLD, NEW = "(DESIGN.md)", "(docs/architecture.md)"
SECTIONS = ("tiers", "planned_rotation", "checkin")


def stored_policies(app: Flask) -> list[dict[str, Any]]:
    with db.get_db(app).reader() as session:
        rows = session.execute(
            text(
                "SELECT version, name, tiers, planned_rotation, checkin FROM exposure_policies"
                " ORDER BY version"
            )
        ).all()
    return [
        {"version": row.version, "name": row.name}
        | {section: json.loads(getattr(row, section)) for section in SECTIONS}
        for row in rows
    ]


def test_upgrade_repoints_the_citation_and_nothing_else(tmp_path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "TESTING": True})
    command.upgrade(alembic_config(app), BEFORE_0164)
    (seeded,) = stored_policies(app)
    assert seeded["name"].endswith(OLD)
    # An operator's version 2 that copied the default's notes and changed one number
    tiers = copy.deepcopy(seeded["tiers"])
    tiers[0]["daily_cap_minutes"] = {"value": 180, "note": "client contract, 2026"}
    with app.test_request_context(), db.transaction(app) as session:
        # raw SQL: the table as revision 0163 has it, whatever later models add
        session.execute(
            text(
                "INSERT INTO exposure_policies (version, name, effective_from, tiers,"
                " planned_rotation, checkin, created_at) VALUES (2, 'Stricter egregious cap',"
                " :at, :tiers, :planned, :checkin, :at)"
            ),
            {
                "at": dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC).isoformat(),
                "tiers": json.dumps(tiers),
                "planned": json.dumps(seeded["planned_rotation"]),
                "checkin": json.dumps(seeded["checkin"]),
            },
        )
    before = stored_policies(app)

    upgrade(app)
    after = stored_policies(app)
    default, operators = after
    # (later sections, such as 0181's modality weights, are not 0164's)
    assert {key: default[key] for key in ("name", *SECTIONS)} == {
        key: DEFAULT_POLICY[key] for key in ("name", *SECTIONS)
    }
    assert operators["name"] == "Stricter egregious cap"
    assert operators["tiers"][0]["daily_cap_minutes"] == {
        "value": 180,
        "note": "client contract, 2026",
    }
    # Exactly the citation changed, in every name and note that had it; no number moved.
    assert after == json.loads(json.dumps(before).replace(OLD, NEW))
    assert OLD not in json.dumps(after)

    command.downgrade(alembic_config(app), BEFORE_0164)
    assert stored_policies(app) == before
    db.get_db(app).engine.dispose()
