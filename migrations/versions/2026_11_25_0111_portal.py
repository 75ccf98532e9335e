"""Contractor portal: invites and password accounts

Revision ID: 0111
Revises: 0108
Create Date: 2026-11-25 12:15:14.795007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0111"
down_revision = "0108"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sessions_valid_after", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_portal_accounts_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_accounts")),
        sa.UniqueConstraint("contractor_id", name=op.f("uq_portal_accounts_contractor_id")),
    )
    op.create_table(
        "portal_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_portal_invites_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_invites_token_hash")),
    )
    with op.batch_alter_table("portal_invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_invites_contractor_id"), ["contractor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_invites_contractor_id"))

    op.drop_table("portal_invites")
    op.drop_table("portal_accounts")
