"""closed slots: the key a presigned PUT URL names is kept apart from the confirmed original, and swept; the
link a partner named a photo by (Open311 media_url), kept for staff when it could not be fetched

Revision ID: 0005_closed_slots
Revises: 0004_trust_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_closed_slots"
down_revision = "0004_trust_core"
branch_labels = None
depends_on = None

S = "media"


def upgrade() -> None:
    op.add_column("uploads", sa.Column("slot_key", sa.Text), schema=S)
    op.add_column("uploads", sa.Column("source_url", sa.Text), schema=S)
    op.create_index(
        "ix_uploads_open_slots",
        "uploads",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("slot_key IS NOT NULL"),
    )
    # slots still open at the upgrade: their URL names the object key (confirmed ones cannot be told apart, and
    # their URLs expired long ago unless they are minutes old)
    op.execute(
        f"UPDATE {S}.uploads SET slot_key = object_key WHERE state = 'pending' AND confirmed_at IS NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_uploads_open_slots", table_name="uploads", schema=S)
    op.drop_column("uploads", "source_url", schema=S)
    op.drop_column("uploads", "slot_key", schema=S)
