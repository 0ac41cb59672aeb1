"""deadline owner: a reopened case's deadline, a version per case that grows with every deadline change, and
the sequence of the last intake step applied (an older one arriving late moves no status back)

Revision ID: 0004_deadline_owner
Revises: 0003_correlation
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_deadline_owner"
down_revision = "0003_correlation"
branch_labels = None
depends_on = None

S = "routing"


def upgrade() -> None:
    op.add_column("cases", sa.Column("reopen_due_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column(
        "cases", sa.Column("deadline_version", sa.Integer, nullable=False, server_default="0"), schema=S
    )
    op.add_column(
        "cases", sa.Column("status_sequence", sa.BigInteger, nullable=False, server_default="0"), schema=S
    )


def downgrade() -> None:
    op.drop_column("cases", "status_sequence", schema=S)
    op.drop_column("cases", "deadline_version", schema=S)
    op.drop_column("cases", "reopen_due_at", schema=S)
