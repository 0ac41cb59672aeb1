"""correlation: the index of parked inbox rows

Revision ID: 0003_correlation
Revises: 0002
"""

from libs.platform.tables import downgrade_correlation, upgrade_correlation

revision = "0003_correlation"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_correlation("feedback", outbox=False)


def downgrade() -> None:
    downgrade_correlation("feedback", outbox=False)
