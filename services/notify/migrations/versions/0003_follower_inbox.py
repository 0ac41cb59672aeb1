"""follower inbox: a me-too follower's in-app messages are read by case and recipient_ref

Revision ID: 0003_follower_inbox
Revises: 0002_delivery
"""

from alembic import op

revision = "0003_follower_inbox"
down_revision = "0002_delivery"
branch_labels = None
depends_on = None

S = "notify"


def upgrade() -> None:
    op.create_index("ix_inapp_recipient", "inapp_messages", ["report_id", "recipient_ref", "id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_inapp_recipient", table_name="inapp_messages", schema=S)
