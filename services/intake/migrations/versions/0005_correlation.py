"""correlation: the outbox's request id and the index of parked inbox rows

Revision ID: 0005_correlation
Revises: 0004_follower_token
"""

from libs.platform.tables import downgrade_correlation, upgrade_correlation

revision = "0005_correlation"
down_revision = "0004_follower_token"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_correlation("intake")


def downgrade() -> None:
    downgrade_correlation("intake")
