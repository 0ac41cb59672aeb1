"""correlation: the outbox's request id and the index of parked inbox rows

Revision ID: 0003_correlation
Revises: 0002_directory
"""

from libs.platform.tables import downgrade_correlation, upgrade_correlation

revision = "0003_correlation"
down_revision = "0002_directory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_correlation("routing")


def downgrade() -> None:
    downgrade_correlation("routing")
