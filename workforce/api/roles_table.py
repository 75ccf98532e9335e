"""The README's table of who may call what, generated from the roles the views enforce.

Each API view declares its roles with :func:`workforce.identity.access.roles`, which
keeps them on the view (``allowed_roles``); this module reads them back from the URL map,
so the table cannot say what the code does not do.
``flask --app workforce roles-table --write README.md`` rewrites the table between its
markers; ``tests/api/test_roles_table.py`` fails while the README differs from the code.
"""

from __future__ import annotations

import re

from flask import Flask

from workforce.identity.access import ROLES

START = "<!-- roles-table:start (generated: flask --app workforce roles-table) -->"
END = "<!-- roles-table:end -->"
#: Column of the methods that need no token at all.
PUBLIC = "no token"


def allowed_methods(app: Flask) -> dict[str, dict[str, list[str]]]:
    """API path (``{id}`` placeholders) -> role (or :data:`PUBLIC`) -> methods it may call."""
    table: dict[str, dict[str, list[str]]] = {}
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if not rule.rule.startswith("/api/") or view_class is None:
            continue  # the OpenAPI document and its UI are not operations
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            declared = getattr(getattr(view_class, method.lower()), "allowed_roles", None)
            for role in sorted(declared) if declared is not None else [PUBLIC]:
                table.setdefault(path, {}).setdefault(role, []).append(method)
    return table


def roles_table(app: Flask) -> str:
    """The Markdown table: one row per path, one column per role, the methods in cells."""
    columns = [*ROLES, PUBLIC]
    lines = [
        "| path | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for path, by_role in sorted(allowed_methods(app).items()):
        cells = [" ".join(by_role.get(role, [])) for role in columns]
        lines.append(f"| `{path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def with_table(text: str, table: str) -> str:
    """``text`` (the README) with the table between the markers replaced by ``table``."""
    before, start, rest = text.partition(START)
    _old, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"the markers {START!r} and {END!r} are missing")
    return f"{before}{START}\n{table}\n{END}{after}"
