"""Exposure roll-ups by queue, with the breaks due and missed

Revision ID: 0113
Revises: 0117
Create Date: 2026-11-25 15:10:00.000000

``exposure_daily`` gains ``queue_id`` (in its primary key) and the ``breaks_due`` /
``breaks_missed`` counters; ``exposure_runs`` gains the due instant of each tier's break.

Rows written before this revision have no queue. Each gets, in order:

1. the one queue whose tier is the row's tier and whose categories include the row's
   category, when exactly one queue does (exact);
2. otherwise the queue of the contractor's raw events of that tier and category (exact
   when all of them came from one queue; if several did, the lowest queue id: the row's
   seconds cannot be split after the fact);
3. otherwise (no such raw event is stored) the lowest id of a queue of the row's tier, or
   the lowest queue id at all.

Their break counters start at 0: breaks before this revision were not recorded
(docs/reports.md).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0113"
down_revision = "0117"
branch_labels = None
depends_on = None


def _backfill() -> None:
    conn = op.get_bind()
    queues = []
    for qid, tier, categories in conn.execute(sa.text("SELECT id, tier, categories FROM queues")):
        if isinstance(categories, str):
            categories = json.loads(categories)
        queues.append((qid, tier, set(categories or ())))
    combos = conn.execute(
        sa.text("SELECT DISTINCT tier, category FROM exposure_daily WHERE queue_id IS NULL")
    ).all()
    for tier, category in combos:
        candidates = [qid for qid, t, cats in queues if t == tier and category in cats]
        if len(candidates) == 1:
            conn.execute(
                sa.text(
                    "UPDATE exposure_daily SET queue_id = :q "
                    "WHERE queue_id IS NULL AND tier = :t AND category = :c"
                ),
                {"q": candidates[0], "t": tier, "c": category},
            )
    conn.execute(
        sa.text(
            "UPDATE exposure_daily SET queue_id = (SELECT MIN(e.queue_id) FROM exposure_events e "
            "WHERE e.contractor_id = exposure_daily.contractor_id "
            "AND e.tier = exposure_daily.tier "
            "AND COALESCE(e.category, '') = exposure_daily.category) WHERE queue_id IS NULL"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE exposure_daily SET queue_id = COALESCE("
            "(SELECT MIN(q.id) FROM queues q WHERE q.tier = exposure_daily.tier), "
            "(SELECT MIN(q.id) FROM queues q)) WHERE queue_id IS NULL"
        )
    )


def upgrade() -> None:
    with op.batch_alter_table("exposure_runs", schema=None) as batch_op:
        for tier in (1, 2, 3):
            batch_op.add_column(sa.Column(f"tier{tier}_due_us", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("breaks_due", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("breaks_missed", sa.Integer(), server_default="0", nullable=False)
        )
    _backfill()
    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.alter_column("queue_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("pk_exposure_daily", type_="primary")
        batch_op.create_primary_key(
            "pk_exposure_daily", ["contractor_id", "local_day", "tier", "category", "queue_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_exposure_daily_queue_id_queues"), "queues", ["queue_id"], ["id"]
        )


def downgrade() -> None:
    # Rows that differ only by queue are merged back into one.
    op.execute(
        "CREATE TABLE exposure_daily_merged AS SELECT contractor_id, local_day, tier, category, "
        "SUM(seconds) AS seconds, SUM(items) AS items, SUM(events) AS events "
        "FROM exposure_daily GROUP BY contractor_id, local_day, tier, category"
    )
    op.execute("DELETE FROM exposure_daily")
    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_exposure_daily_queue_id_queues"), type_="foreignkey"
        )
        batch_op.drop_constraint("pk_exposure_daily", type_="primary")
        batch_op.create_primary_key(
            "pk_exposure_daily", ["contractor_id", "local_day", "tier", "category"]
        )
        batch_op.drop_column("breaks_missed")
        batch_op.drop_column("breaks_due")
        batch_op.drop_column("queue_id")
    op.execute(
        "INSERT INTO exposure_daily (contractor_id, local_day, tier, category, seconds, items, "
        "events) SELECT contractor_id, local_day, tier, category, seconds, items, events "
        "FROM exposure_daily_merged"
    )
    op.execute("DROP TABLE exposure_daily_merged")

    with op.batch_alter_table("exposure_runs", schema=None) as batch_op:
        for tier in (3, 2, 1):
            batch_op.drop_column(f"tier{tier}_due_us")
