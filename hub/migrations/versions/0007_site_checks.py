"""Site checks (runs and their results, as history) and certification decisions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "site_check_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drupal", sa.JSON(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("critical", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_site_check_runs_application_id_applications"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_check_runs")),
    )
    op.create_index(
        "ix_site_check_runs_app_checked", "site_check_runs", ["application_id", "checked_at"]
    )
    op.create_table(
        "site_check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["site_check_runs.id"],
            name=op.f("fk_site_check_results_run_id_site_check_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_check_results")),
    )
    op.create_index(op.f("ix_site_check_results_run_id"), "site_check_results", ["run_id"])
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_certifications_application_id_applications"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
    )
    op.create_index(op.f("ix_certifications_application_id"), "certifications", ["application_id"])


def downgrade():
    op.drop_index(op.f("ix_certifications_application_id"), table_name="certifications")
    op.drop_table("certifications")
    op.drop_index(op.f("ix_site_check_results_run_id"), table_name="site_check_results")
    op.drop_table("site_check_results")
    op.drop_index("ix_site_check_runs_app_checked", table_name="site_check_runs")
    op.drop_table("site_check_runs")
