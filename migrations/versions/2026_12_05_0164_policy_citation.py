"""Exposure policies cite docs/architecture.md: stored names and notes re-pointed.

Until 2026-12-05 migration 0103 seeded the default policy with a citation of the design
note the project began with, a file outside this repository; the API serves those names and
notes as they are stored. Their content now lives in docs/architecture.md ("Default
exposure policy"), so every stored policy version (the seeded one and any posted with
copied notes) cites that instead. Only the citation changes: no number, no version, no
date. Stored report runs keep the names they were served with (their content hash is
evidence), as does the audit log.

Downgrade keeps the new citation: the old one named a file that is not part of the project.

Revision ID: 0164
Revises: 0163
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0164"
down_revision = "0163"
branch_labels = None
depends_on = None

#: The citation as 0103 used to store it, and where its content is now.
LEGACY_CITATION = re.compile(r"\(DESIGN\.md\)")
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


def _repointed(value: Any) -> Any:
    """``value`` (a name, or a policy section as JSON) with the legacy citation replaced in
    every string."""
    if isinstance(value, str):
        return LEGACY_CITATION.sub(NEW_CITATION, value)
    if isinstance(value, list):
        return [_repointed(item) for item in value]
    if isinstance(value, dict):
        return {key: _repointed(item) for key, item in value.items()}
    return value


def upgrade() -> None:
    bind = op.get_bind()
    columns = [policies.c[name] for name in TEXT_COLUMNS]
    for row in bind.execute(sa.select(policies.c.id, *columns).order_by(policies.c.id)).all():
        stored = row._mapping
        replaced = {name: _repointed(stored[name]) for name in TEXT_COLUMNS}
        changed = {name: value for name, value in replaced.items() if value != stored[name]}
        if changed:
            bind.execute(policies.update().where(policies.c.id == row.id).values(**changed))


def downgrade() -> None:
    """Keeps the new citation (see above)."""
