"""Exposure policies cite docs/architecture.md: stored names and notes re-pointed.

Migration 0103 seeded the default policy with a citation of the design note the project
began with, a file outside this repository; the API serves those names and notes as they
are stored. Their content now lives in docs/architecture.md ("Default exposure policy"), so
every stored policy version (the seeded one and any posted with copied notes) cites that
instead. Only the citation changes: no number, no version, no date. Stored report runs keep
the names they were served with (their content hash is evidence), as does the audit log.

Revision ID: 0164
Revises: 0163
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0164"
down_revision = "0163"
branch_labels = None
depends_on = None

#: The citation as 0103 stored it, and where its content is now.
OLD_CITATION = "(DESIGN.md)"
NEW_CITATION = "(docs/architecture.md)"

policies = sa.table(
    "exposure_policies",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("tiers", sa.JSON),
    sa.column("planned_rotation", sa.JSON),
    sa.column("checkin", sa.JSON),
)
TEXT_COLUMNS = ("name", "tiers", "planned_rotation", "checkin")


def _replace(value: Any, old: str, new: str) -> Any:
    """``value`` (a name, or a policy section as JSON) with ``old`` replaced in every string."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, old, new) for key, item in value.items()}
    return value


def _repoint(old: str, new: str) -> None:
    bind = op.get_bind()
    columns = [policies.c[name] for name in TEXT_COLUMNS]
    for row in bind.execute(sa.select(policies.c.id, *columns).order_by(policies.c.id)).all():
        stored = row._mapping
        replaced = {name: _replace(stored[name], old, new) for name in TEXT_COLUMNS}
        changed = {name: value for name, value in replaced.items() if value != stored[name]}
        if changed:
            bind.execute(policies.update().where(policies.c.id == row.id).values(**changed))


def upgrade() -> None:
    _repoint(OLD_CITATION, NEW_CITATION)


def downgrade() -> None:
    # Back to the text the code of revision 0163 seeds and compares with.
    _repoint(NEW_CITATION, OLD_CITATION)
