"""deadline version: the version of routing's deadlines a report holds (routing owns them; older events lose)

Revision ID: 0008_deadline_version
Revises: 0007_open311_feed
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_deadline_version"
down_revision = "0007_open311_feed"
branch_labels = None
depends_on = None

S = "intake"


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column(
            "deadline_version",
            sa.Integer,
            nullable=False,
            server_default="0",
            comment="routing's deadline_version of accept_due_at/due_at (older events are ignored)",
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("reports", "deadline_version", schema=S)
