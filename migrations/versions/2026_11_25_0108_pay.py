"""Pay: wage distributions, pay policy versions, exchange rates, pay statements and lines

Revision ID: 0108
Revises: 0107
Create Date: 2026-11-25 12:16:31.238566
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workforce.db

revision = "0108"
down_revision = "0107"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", workforce.db.ExactDecimal(precision=30, scale=12), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("base <> quote", name=op.f("ck_exchange_rates_distinct_currencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint("base", "quote", "on_date", name=op.f("uq_exchange_rates_base")),
    )
    op.create_table(
        "pay_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_policies")),
        sa.UniqueConstraint("version", name=op.f("uq_pay_policies_version")),
    )
    op.create_index(
        op.f("ix_pay_policies_effective_from"), "pay_policies", ["effective_from"], unique=False
    )
    op.create_table(
        "wage_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("subdivision", sa.String(length=6), nullable=True),
        sa.Column("scope", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("percentiles", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "period IN ('hour', 'month')", name=op.f("ck_wage_distributions_period_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wage_distributions")),
        sa.UniqueConstraint("scope", "year", name=op.f("uq_wage_distributions_scope")),
    )
    op.create_index(
        "ix_wage_distributions_country_year",
        "wage_distributions",
        ["country", "year"],
        unique=False,
    )
    op.create_table(
        "pay_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("adjusts_statement_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=5), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_hourly_rate", workforce.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("total", workforce.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("reporting_currency", sa.String(length=3), nullable=True),
        sa.Column("reporting_total", workforce.db.Money(precision=20, scale=6), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("calculated_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", workforce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("finalized_at", workforce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finalized_by_token_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('regular', 'adjustment')", name=op.f("ck_pay_statements_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'final')", name=op.f("ck_pay_statements_status_known")
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_pay_statements_period_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["adjusts_statement_id"],
            ["pay_statements.id"],
            name=op.f("fk_pay_statements_adjusts_statement_id_pay_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_pay_statements_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_statements")),
    )
    op.create_index(
        op.f("ix_pay_statements_adjusts_statement_id"),
        "pay_statements",
        ["adjusts_statement_id"],
        unique=False,
    )
    op.create_index(
        "ix_pay_statements_contractor_period",
        "pay_statements",
        ["contractor_id", "period_start"],
        unique=False,
    )
    op.create_table(
        "pay_statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("percent", workforce.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("amount", workforce.db.Money(precision=20, scale=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["pay_statements.id"],
            name=op.f("fk_pay_statement_lines_statement_id_pay_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_statement_lines")),
        sa.UniqueConstraint(
            "statement_id", "position", name=op.f("uq_pay_statement_lines_statement_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("pay_statement_lines")
    op.drop_index("ix_pay_statements_contractor_period", table_name="pay_statements")
    op.drop_index(op.f("ix_pay_statements_adjusts_statement_id"), table_name="pay_statements")
    op.drop_table("pay_statements")
    op.drop_index("ix_wage_distributions_country_year", table_name="wage_distributions")
    op.drop_table("wage_distributions")
    op.drop_index(op.f("ix_pay_policies_effective_from"), table_name="pay_policies")
    op.drop_table("pay_policies")
    op.drop_table("exchange_rates")
