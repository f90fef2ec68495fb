"""Documentation pages the plugins wrote, with their last sync (the service wiki)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "doc_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("client_key", sa.String(length=50), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_pages")),
        sa.UniqueConstraint("plugin", "title", name=op.f("uq_doc_pages_plugin")),
    )
    with op.batch_alter_table("doc_pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_pages_client_key"), ["client_key"], unique=False)


def downgrade():
    with op.batch_alter_table("doc_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doc_pages_client_key"))
    op.drop_table("doc_pages")
