"""Plugin state: what a plugin keeps between runs (a poll cursor, its last error)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:40:00.000000
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plugin_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_state")),
        sa.UniqueConstraint("plugin", "key", name=op.f("uq_plugin_state_plugin")),
    )


def downgrade():
    op.drop_table("plugin_state")
