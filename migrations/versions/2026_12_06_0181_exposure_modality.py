"""Exposure by modality and mitigation (issue 25)

Revision ID: 0181
Revises: 0171
Create Date: 2026-12-06 10:00:00

``exposure_events`` gains ``modality`` and ``mitigations`` (NULL: the event did not say);
``exposure_daily`` gains both in its primary key, ``unknown`` for every row written before
(nothing older said); ``exposure_policies`` gains ``modality_weights``, every stored version
getting the default: each modality at 1.0, with its note (docs/exposure.md, "Modality and
mitigations"). The notes are written out here rather than imported, so this revision keeps
the text it was written with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0181"
down_revision = "0171"
branch_labels = None
depends_on = None

MODALITIES = ("text", "image", "video", "audio", "live")
NOTE = (
    "1.0: a minute of {} counts in full. Studies disagree on whether mitigations reduce "
    "harm: Das, Dang and Lease (HCOMP 2020) found interactive blurring helped; Lewitzka et "
    "al. (Psychological Research 2026) found blur and greyscale did not reduce negative effects"
)
DEFAULT_WEIGHTS = {m: {"value": 1.0, "note": NOTE.format(m)} for m in MODALITIES}

policies = sa.table(
    "exposure_policies", sa.column("id", sa.Integer), sa.column("modality_weights", sa.JSON)
)


def upgrade() -> None:
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("modality", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("mitigations", sa.String(length=64), nullable=True))

    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("modality", sa.String(length=8), server_default="unknown", nullable=False)
        )
        batch_op.add_column(
            sa.Column("mitigations", sa.String(length=64), server_default="unknown", nullable=False)
        )
        batch_op.drop_constraint("pk_exposure_daily", type_="primary")
        batch_op.create_primary_key(
            "pk_exposure_daily",
            [
                "contractor_id",
                "local_day",
                "tier",
                "category",
                "queue_id",
                "modality",
                "mitigations",
            ],
        )

    with op.batch_alter_table("exposure_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("modality_weights", sa.JSON(), nullable=True))
    op.get_bind().execute(policies.update().values(modality_weights=DEFAULT_WEIGHTS))
    with op.batch_alter_table("exposure_policies", schema=None) as batch_op:
        batch_op.alter_column("modality_weights", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("exposure_policies", schema=None) as batch_op:
        batch_op.drop_column("modality_weights")

    # Rows that differ only by modality or mitigations are merged back into one.
    keys = "contractor_id, local_day, tier, category, queue_id"
    counters = ("seconds", "items", "events", "breaks_due", "breaks_missed")
    op.execute(
        f"CREATE TABLE exposure_daily_merged AS SELECT {keys}, "
        + ", ".join(f"SUM({c}) AS {c}" for c in counters)
        + f" FROM exposure_daily GROUP BY {keys}"
    )
    op.execute("DELETE FROM exposure_daily")
    with op.batch_alter_table("exposure_daily", schema=None) as batch_op:
        batch_op.drop_constraint("pk_exposure_daily", type_="primary")
        batch_op.create_primary_key("pk_exposure_daily", keys.split(", "))
        batch_op.drop_column("mitigations")
        batch_op.drop_column("modality")
    op.execute(
        f"INSERT INTO exposure_daily ({keys}, {', '.join(counters)}) "
        f"SELECT {keys}, {', '.join(counters)} FROM exposure_daily_merged"
    )
    op.execute("DROP TABLE exposure_daily_merged")

    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.drop_column("mitigations")
        batch_op.drop_column("modality")
