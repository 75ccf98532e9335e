"""The health-data import contract of pyproject.toml covers every module, including ones
added later (the layers contract is ``exhaustive``: import-linter checks that itself)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "workforce"
#: Who may read health-data tables (docs/architecture.md, "Health data").
HEALTH_DATA_READERS = {"wellbeing", "api", "portal", "models", "reports.wellbeing"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["type"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _children(folder: Path) -> set[str]:
    return {
        path.stem if path.suffix == ".py" else path.name
        for path in folder.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }


def test_every_module_outside_the_readers_is_forbidden_health_data() -> None:
    contract = _contracts()["forbidden"]
    assert contract["forbidden_modules"] == ["workforce.wellbeing.models"]
    everything = _children(PACKAGE) | {f"reports.{m}" for m in _children(PACKAGE / "reports")}
    expected = everything - HEALTH_DATA_READERS - {"reports"}
    assert {m.removeprefix("workforce.") for m in contract["source_modules"]} == expected
