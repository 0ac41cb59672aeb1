"""correlation: the outbox's request id and the index of parked inbox rows

Revision ID: 0004_correlation
Revises: 0003_follower_inbox
"""

from libs.platform.tables import downgrade_correlation, upgrade_correlation

revision = "0004_correlation"
down_revision = "0003_follower_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_correlation("notify")


def downgrade() -> None:
    downgrade_correlation("notify")
