"""Contractor emails in one normal form, and the skeleton that makes look-alikes equal.

Adds ``contractors.email_skeleton`` (SHA-256 of the skeleton, unique) and fills it, and
brings stored emails to the normal form (workforce.contractors.emails). A row whose email
already looked like an earlier row's keeps a NULL skeleton, and one whose normal form is
taken keeps its email: the migration never fails on old data; the service refuses new
look-alikes.

Revision ID: 0162
Revises: 0161
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workforce.contractors.emails import normalise_email
from workforce.errors import InvalidInput

revision = "0162"
down_revision = "0161"
branch_labels = None
depends_on = None

contractors = sa.table(
    "contractors",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_skeleton", sa.String),
)


def upgrade() -> None:
    op.add_column("contractors", sa.Column("email_skeleton", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(contractors.c.id, contractors.c.email).order_by("id")).all()
    emails = {email for _, email in rows}
    skeletons: set[str] = set()
    for contractor_id, email in rows:
        try:
            normal = normalise_email(email)
        except InvalidInput:
            continue  # an address the old rules let in: left as it is
        values: dict[str, str] = {}
        if normal.address != email and normal.address not in emails:
            emails.add(normal.address)
            values["email"] = normal.address
        if normal.skeleton_hash not in skeletons:
            skeletons.add(normal.skeleton_hash)
            values["email_skeleton"] = normal.skeleton_hash
        if values:
            bind.execute(
                contractors.update().where(contractors.c.id == contractor_id).values(**values)
            )
    op.create_index(
        op.f("ix_contractors_email_skeleton"), "contractors", ["email_skeleton"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_contractors_email_skeleton"), table_name="contractors")
    op.drop_column("contractors", "email_skeleton")
