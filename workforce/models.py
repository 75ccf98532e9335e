"""Import every model module so that ``Base.metadata`` is complete (app, Alembic, tests)."""

from __future__ import annotations


def load_all() -> None:
    from workforce import audit, auth  # noqa: F401
    from workforce.contractors import models as contractors  # noqa: F401
