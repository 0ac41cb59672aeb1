"""inbox consumer name: the visibility handler moved from the `Retention` mixin onto `MediaService` (issue 15),
and `consumes` names a consumer by the handler's qualified name; the events it handled keep counting as handled

Revision ID: 0006_inbox_consumer_name
Revises: 0005_closed_slots
"""

from alembic import op

revision = "0006_inbox_consumer_name"
down_revision = "0005_closed_slots"
branch_labels = None
depends_on = None

S = "media"
OLD, NEW = "Retention.handle_media_visibility_changed", "MediaService.handle_media_visibility_changed"


def upgrade() -> None:
    op.execute(f"UPDATE {S}.inbox SET consumer = '{NEW}' WHERE consumer = '{OLD}'")


def downgrade() -> None:
    op.execute(f"UPDATE {S}.inbox SET consumer = '{OLD}' WHERE consumer = '{NEW}'")
