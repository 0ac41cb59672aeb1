"""Open311 servicerequestupdates feed: read public timeline steps and posted updates in recorded order

Revision ID: 0007_open311_feed
Revises: 0006_trust_core (needs 0002_open311)
"""

from alembic import op

revision = "0007_open311_feed"
down_revision = "0006_trust_core"
branch_labels = None
depends_on = "0002_open311"  # open311_updates

S = "intake"


def upgrade() -> None:
    op.create_index(
        "ix_timeline_at_public", "timeline", ["at", "id"], schema=S, postgresql_where="visibility = 'public'"
    )
    op.create_index("ix_open311_updates_received", "open311_updates", ["received_at", "id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_open311_updates_received", table_name="open311_updates", schema=S)
    op.drop_index("ix_timeline_at_public", table_name="timeline", schema=S)
