"""Portal sign-out ends the session on the server: a revocation row per signed-out session

Revision ID: 0131
Revises: 0120
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0131"
down_revision = "0120"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_session_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_portal_session_revocations_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_session_revocations")),
        sa.UniqueConstraint(
            "session_hash", name=op.f("uq_portal_session_revocations_session_hash")
        ),
    )
    with op.batch_alter_table("portal_session_revocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_session_revocations_contractor_id"), ["contractor_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_portal_session_revocations_expires_at"), ["expires_at"]
        )


def downgrade() -> None:
    op.drop_table("portal_session_revocations")
