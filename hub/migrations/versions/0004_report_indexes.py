"""An index for the SLA reports: a client's calls by the time they were opened

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:30:00.000000

A client's month is a range of created_at within one client_id. With only the client_id
index, a report read every call the client ever had (10,000 rows per query for a client
with 10,000 calls); with this one it reads the month's. Measured with
``benchmarks/sla.py report`` (1,000,000 calls): the monthly report from about 0.34 s to
0.24 s for the same client and month, the month's own queries from 30-40 ms to 2-10 ms.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_client_created", ["client_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_client_created")
