"""One rotation per breach in the schema: ``rotations.breach_key`` with a unique partial
index on ``(contractor_id, breach_key)``.

The key was only inside ``explanation``, and "one rotation per breach key" a read under
READ COMMITTED: two sweeps at once could both insert it. Existing rows get their key from
the explanation. Where concurrent sweeps already made duplicates, the oldest row keeps the
key and the later copies keep theirs only in ``explanation`` (their history, audit rows and
notices stay; nothing is deleted).

Revision ID: 0121
Revises: 0153
Create Date: 2026-12-04 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0121"
down_revision = "0153"
branch_labels = None
depends_on = None

INDEX = "uq_rotations_contractor_breach_key"


def upgrade() -> None:
    with op.batch_alter_table("rotations") as batch_op:
        batch_op.add_column(sa.Column("breach_key", sa.String(length=200), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        key = "explanation->>'breach_key'"
    else:
        key = "json_extract(explanation, '$.breach_key')"
    op.execute(f"UPDATE rotations SET breach_key = {key}")
    op.execute(
        "UPDATE rotations SET breach_key = NULL WHERE breach_key IS NOT NULL AND id > ("
        "SELECT MIN(first.id) FROM rotations first WHERE first.contractor_id = "
        "rotations.contractor_id AND first.breach_key = rotations.breach_key)"
    )
    op.create_index(
        INDEX,
        "rotations",
        ["contractor_id", "breach_key"],
        unique=True,
        sqlite_where=sa.text("breach_key IS NOT NULL"),
        postgresql_where=sa.text("breach_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="rotations")
    with op.batch_alter_table("rotations") as batch_op:
        batch_op.drop_column("breach_key")
