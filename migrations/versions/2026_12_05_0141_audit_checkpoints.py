"""Signed audit checkpoints (``audit_checkpoints``); the chain becomes HMAC-keyed.

The key is not in the database, so this migration cannot re-sign the rows already there.
They keep their SHA-256 hashes and new rows are keyed from the upgrade on; an operator runs
``flask --app workforce audit rekey`` once, which checks the old chain, re-signs it from
genesis with the key and records the legacy head in the first checkpoint (docs/operations.md).
Until then ``audit verify`` says the chain is unkeyed and no checkpoint is signed.

Revision ID: 0141
Revises: 0131
Create Date: 2026-12-04 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0141"
down_revision = "0131"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "event_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
