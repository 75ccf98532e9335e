"""Migration 0164 re-points the legacy citation in stored exposure policies (names and
notes, which the API serves as stored) to docs/architecture.md, and changes nothing else."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import text

from workforce import create_app, db
from workforce.cli import alembic_config, upgrade
from workforce.exposure.policy import DEFAULT_POLICY

#: The revision 0164 follows in the chain.
BEFORE_0164 = "0163"
SECTIONS = ("tiers", "planned_rotation", "checkin")
MIGRATION = next(Path(__file__).parents[1].glob("migrations/versions/*_0164_*.py"))


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("migration_0164", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULE = _migration()
NEW = MODULE.NEW_CITATION
#: The text that databases migrated before 0103 changed hold: what the pattern matches.
LEGACY = re.sub(r"\\(.)", r"\1", MODULE.LEGACY_CITATION.pattern)


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


def _legacy(value: Any) -> str:
    return json.dumps(value).replace(NEW, LEGACY)


def test_legacy_pattern_matches_exactly_the_old_citation() -> None:
    assert MODULE.LEGACY_CITATION.fullmatch(LEGACY)
    assert not MODULE.LEGACY_CITATION.search(NEW)
    assert not MODULE.LEGACY_CITATION.search("(README.md) (design.md)")


def test_upgrade_repoints_the_citation_and_nothing_else(tmp_path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "TESTING": True})
    command.upgrade(alembic_config(app), BEFORE_0164)
    (seeded,) = stored_policies(app)
    assert seeded["name"].endswith(NEW)
    # A database migrated before 0103 changed (2026-12-05) holds the legacy citation, and an
    # operator's version 2
    # that copied the default's notes and changed one number.
    tiers = copy.deepcopy(seeded["tiers"])
    tiers[0]["daily_cap_minutes"] = {"value": 180, "note": "client contract, 2026"}
    with app.test_request_context(), db.transaction(app) as session:
        # raw SQL: the table as revision 0163 has it, whatever later models add
        session.execute(
            text(
                "UPDATE exposure_policies SET name = :name, tiers = :tiers,"
                " planned_rotation = :planned, checkin = :checkin WHERE version = 1"
            ),
            {
                "name": seeded["name"].replace(NEW, LEGACY),
                "tiers": _legacy(seeded["tiers"]),
                "planned": _legacy(seeded["planned_rotation"]),
                "checkin": _legacy(seeded["checkin"]),
            },
        )
        session.execute(
            text(
                "INSERT INTO exposure_policies (version, name, effective_from, tiers,"
                " planned_rotation, checkin, created_at) VALUES (2, 'Stricter egregious cap',"
                " :at, :tiers, :planned, :checkin, :at)"
            ),
            {
                "at": dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC).isoformat(),
                "tiers": _legacy(tiers),
                "planned": _legacy(seeded["planned_rotation"]),
                "checkin": _legacy(seeded["checkin"]),
            },
        )
    before = stored_policies(app)
    assert LEGACY in json.dumps(before[0]) and LEGACY in json.dumps(before[1])

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
    assert after == json.loads(json.dumps(before).replace(LEGACY, NEW))
    assert LEGACY not in json.dumps(after)

    # Downgrade keeps the new citation: the old one named a file outside the project.
    command.downgrade(alembic_config(app), BEFORE_0164)
    assert stored_policies(app) == after
    db.get_db(app).engine.dispose()
