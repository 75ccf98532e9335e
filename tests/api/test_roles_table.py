"""The README's roles tables say what the code enforces."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.test_access_matrix import MATRIX
from workforce.api.roles_table import END, PUBLIC, START, roles_table
from workforce.identity.access import ROLES

README = Path(__file__).resolve().parents[2] / "README.md"


def generated_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.partition(START)[2].partition(END)[0].strip()


def test_the_readme_table_is_the_one_the_code_generates(app) -> None:
    assert generated_section() == roles_table(app), (
        "README.md is stale: run .venv/bin/flask --app workforce roles-table --write README.md"
    )


def test_the_readme_table_matches_the_proven_access_matrix() -> None:
    """Parsed back from the README: the roles per operation are those the access-matrix
    test proves by calling every route as every role."""
    header, _rule, *rows = generated_section().splitlines()
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert columns == [*ROLES, PUBLIC]
    readme: dict[str, set[str]] = {}
    for row in rows:
        path, *cells = [cell.strip() for cell in row.strip("|").split("|")]
        for role, methods in zip(columns, cells, strict=True):
            for method in methods.split():
                readme.setdefault(f"{method} {path.strip('`')}", set()).add(role)
    proven = {
        re.sub(r"<(\w+)>", r"{\1}", key): set(roles.split()) if roles != "public" else {PUBLIC}
        for key, roles in MATRIX.items()
    }
    assert readme == proven


def test_the_readme_describes_every_role() -> None:
    section = README.read_text(encoding="utf-8").partition("## Roles")[2]
    described = re.findall(r"^\| `(\w+)` \|", section.partition("###")[0], flags=re.M)
    assert described == list(ROLES)
