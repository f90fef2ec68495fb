"""Client hours: the hours card's settings per contract, purchases, the client's
decision per time entry and its feedback per call

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "hours_settings",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("unit_minutes", sa.Integer(), nullable=False),
        sa.Column("low_balance_hours", sa.Numeric(10, 2), nullable=True),
        sa.Column("overdraft_hours", sa.Numeric(10, 2), nullable=False),
        sa.Column("low_warned", sa.Boolean(), nullable=False),
        _fk("hours_settings", "contract_id", "contracts"),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_hours_settings")),
    )
    op.create_table(
        "hours_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("bought_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(10, 2), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _fk("hours_purchases", "contract_id", "contracts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_purchases")),
    )
    op.create_index(op.f("ix_hours_purchases_contract_id"), "hours_purchases", ["contract_id"])
    op.create_table(
        "hours_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time_entry_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("hours_decisions", "time_entry_id", "time_entries"),
        _fk("hours_decisions", "contract_id", "contracts"),
        _fk("hours_decisions", "call_id", "calls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_decisions")),
        sa.UniqueConstraint("time_entry_id", name=op.f("uq_hours_decisions_time_entry_id")),
    )
    op.create_index(op.f("ix_hours_decisions_contract_id"), "hours_decisions", ["contract_id"])
    op.create_index(op.f("ix_hours_decisions_call_id"), "hours_decisions", ["call_id"])
    op.create_table(
        "call_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("call_feedback", "call_id", "calls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_feedback")),
    )
    op.create_index("ix_call_feedback_call_at", "call_feedback", ["call_id", "at"])


def downgrade():
    op.drop_index("ix_call_feedback_call_at", table_name="call_feedback")
    op.drop_table("call_feedback")
    op.drop_index(op.f("ix_hours_decisions_call_id"), table_name="hours_decisions")
    op.drop_index(op.f("ix_hours_decisions_contract_id"), table_name="hours_decisions")
    op.drop_table("hours_decisions")
    op.drop_index(op.f("ix_hours_purchases_contract_id"), table_name="hours_purchases")
    op.drop_table("hours_purchases")
    op.drop_table("hours_settings")
