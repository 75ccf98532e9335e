"""Credentials, queues, shifts, rotations and the notification outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:57:26.537512
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("required_credentials", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("fallback_queue_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tier BETWEEN 0 AND 3", name=op.f("ck_queues_tier_range")),
        sa.ForeignKeyConstraint(
            ["fallback_queue_id"], ["queues.id"], name=op.f("fk_queues_fallback_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queues")),
        sa.UniqueConstraint("slug", name=op.f("uq_queues_slug")),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("evidence_ref", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.String(length=2000), nullable=True),
        sa.Column("decided_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'rejected', 'revoked')",
            name=op.f("ck_credentials_status_known"),
        ),
        sa.CheckConstraint(
            "expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on",
            name=op.f("ck_credentials_expiry_after_issue"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_credentials_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credentials_expires_on"), ["expires_on"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_notifications_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_kind"), ["kind"], unique=False)
        batch_op.create_index(
            "ix_notifications_pending", ["delivered_at", "next_attempt_at"], unique=False
        )

    op.create_table(
        "rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("breach_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("shifts_reassigned", sa.Integer(), nullable=False),
        sa.Column("shifts_cancelled", sa.Integer(), nullable=False),
        sa.Column("ended_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'ended', 'overturned')", name=op.f("ck_rotations_status_known")
        ),
        sa.CheckConstraint("ends_at > started_at", name=op.f("ck_rotations_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_rotations_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotations")),
    )
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rotations_contractor_window",
            ["contractor_id", "started_at", "ends_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_rotations_reason"), ["reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_rotations_status"), ["status"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("clock_in_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_out_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("needs_cover", sa.Boolean(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'in_progress', 'completed', 'cancelled', 'missed')",
            name=op.f("ck_shifts_status_known"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shifts_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.id"], name=op.f("fk_shifts_contractor_id_contractors")
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_shifts_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shifts_contractor_starts", ["contractor_id", "starts_at"], unique=False
        )
        batch_op.create_index("ix_shifts_queue_starts", ["queue_id", "starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_queue_starts")
        batch_op.drop_index("ix_shifts_contractor_starts")

    op.drop_table("shifts")
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotations_status"))
        batch_op.drop_index(batch_op.f("ix_rotations_reason"))
        batch_op.drop_index("ix_rotations_contractor_window")

    op.drop_table("rotations")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_pending")
        batch_op.drop_index(batch_op.f("ix_notifications_kind"))
        batch_op.drop_index(batch_op.f("ix_notifications_contractor_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_expires_on"))
        batch_op.drop_index(batch_op.f("ix_credentials_contractor_id"))

    op.drop_table("credentials")
    op.drop_table("queues")
