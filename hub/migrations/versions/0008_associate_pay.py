"""Associate pay: tariff versions, handover sessions, team meetings, trainings and exams,
and issued quarterly statements with their lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name, _, _ = target.partition(".")
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{name}"))


def _made(by: str) -> list[sa.Column]:
    return [
        sa.Column(f"{by}_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(f"{by}_by", sa.String(length=200), nullable=False),
    ]


def upgrade():
    op.create_table(
        "pay_tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("min_minutes", sa.Integer(), nullable=True),
        sa.Column("max_minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        *_made("created"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_tariffs")),
        sa.UniqueConstraint("item", "valid_from", name=op.f("uq_pay_tariffs_item")),
    )
    op.create_table(
        "pay_handover_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_made("created"),
        _fk("pay_handover_sessions", "person_id", "people.id"),
        _fk("pay_handover_sessions", "application_id", "applications.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_handover_sessions")),
        sa.UniqueConstraint(
            "person_id", "application_id", name=op.f("uq_pay_handover_sessions_person_id")
        ),
    )
    op.create_index(
        op.f("ix_pay_handover_sessions_person_id"), "pay_handover_sessions", ["person_id"]
    )
    op.create_table(
        "pay_team_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_made("created"),
        _fk("pay_team_meetings", "person_id", "people.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_team_meetings")),
        sa.UniqueConstraint("person_id", "day", name=op.f("uq_pay_team_meetings_person_id")),
    )
    op.create_index(op.f("ix_pay_team_meetings_person_id"), "pay_team_meetings", ["person_id"])
    op.create_table(
        "pay_exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("product_line", sa.String(length=20), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        *_made("created"),
        _fk("pay_exams", "person_id", "people.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_exams")),
    )
    op.create_index(op.f("ix_pay_exams_person_id"), "pay_exams", ["person_id"])
    op.create_table(
        "pay_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("earned_cents", sa.Integer(), nullable=False),
        sa.Column("corrections_cents", sa.Integer(), nullable=False),
        sa.Column("advance_cents", sa.Integer(), nullable=False),
        sa.Column("settlement_cents", sa.Integer(), nullable=False),
        *_made("issued"),
        _fk("pay_statements", "person_id", "people.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_statements")),
        sa.UniqueConstraint("person_id", "quarter", name=op.f("uq_pay_statements_person_id")),
    )
    op.create_index(op.f("ix_pay_statements_person_id"), "pay_statements", ["person_id"])
    op.create_table(
        "pay_statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("item", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("rate_cents", sa.Integer(), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        _fk("pay_statement_lines", "statement_id", "pay_statements.id"),
        _fk("pay_statement_lines", "tariff_id", "pay_tariffs.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_statement_lines")),
    )
    op.create_index(
        op.f("ix_pay_statement_lines_statement_id"), "pay_statement_lines", ["statement_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_pay_statement_lines_statement_id"), table_name="pay_statement_lines")
    op.drop_table("pay_statement_lines")
    op.drop_index(op.f("ix_pay_statements_person_id"), table_name="pay_statements")
    op.drop_table("pay_statements")
    op.drop_index(op.f("ix_pay_exams_person_id"), table_name="pay_exams")
    op.drop_table("pay_exams")
    op.drop_index(op.f("ix_pay_team_meetings_person_id"), table_name="pay_team_meetings")
    op.drop_table("pay_team_meetings")
    op.drop_index(op.f("ix_pay_handover_sessions_person_id"), table_name="pay_handover_sessions")
    op.drop_table("pay_handover_sessions")
    op.drop_table("pay_tariffs")
