"""The counsellor-only access log (``wellbeing_access_log``).

Counsellors' reads and follow-ups were audited as ``wellbeing.read`` / ``wellbeing.follow_up``
events naming the contractor, which admin and compliance read: they said who has a
referral. New ones go to this table, and the old events are copied into it, so counsellors
and contractors keep the history. The old rows stay in ``audit_events`` (deleting or
editing them would break its hash chain), and ``GET /audit-events`` no longer serves them.

Revision ID: 0142
Revises: 0141
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0142"
down_revision = "0141"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wellbeing_access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("view", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_wellbeing_access_log_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_access_log")),
    )
    op.create_index(
        "ix_wellbeing_access_log_contractor",
        "wellbeing_access_log",
        ["contractor_id", "id"],
        unique=False,
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    view = "summary->>'view'" if postgres else "json_extract(summary, '$.view')"
    follow_up = (
        "CAST(summary->>'follow_up_id' AS INTEGER)"
        if postgres
        else "CAST(json_extract(summary, '$.follow_up_id') AS INTEGER)"
    )
    columns = "occurred_at, contractor_id, actor_token_id, actor_name, action, view, object_id"
    contractor = "CAST(target_id AS INTEGER)"
    op.execute(
        f"INSERT INTO wellbeing_access_log ({columns}) "
        f"SELECT occurred_at, {contractor}, actor_token_id, actor_name, 'read', {view}, NULL "
        "FROM audit_events WHERE action = 'wellbeing.read' AND target_type = 'contractor' "
        "ORDER BY id"
    )
    op.execute(
        f"INSERT INTO wellbeing_access_log ({columns}) "
        f"SELECT occurred_at, {contractor}, actor_token_id, actor_name, 'follow_up', "
        f"'referral', {follow_up} "
        "FROM audit_events WHERE action = 'wellbeing.follow_up' AND target_type = 'contractor' "
        "ORDER BY id"
    )


def downgrade() -> None:
    op.drop_index("ix_wellbeing_access_log_contractor", table_name="wellbeing_access_log")
    op.drop_table("wellbeing_access_log")
