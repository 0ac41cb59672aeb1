"""media processing: state with retries, kinds and sizes, redactions, renditions per audience

Revision ID: 0002_processing
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_processing"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "media"
NEW_COLUMNS = (
    sa.Column("kind", sa.Text(), nullable=True),
    sa.Column("width", sa.Integer(), nullable=True),
    sa.Column("height", sa.Integer(), nullable=True),
    sa.Column("duration", sa.Float(), nullable=True),
    sa.Column("faces_found", sa.Integer(), nullable=True),
    sa.Column(
        "redactions",
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'[]'::jsonb"),
        nullable=False,
    ),
    sa.Column("video_public", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("uploader_role", sa.Text(), nullable=True),
    sa.Column("uploader_agency", sa.Text(), nullable=True),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
)


def upgrade() -> None:
    for column in NEW_COLUMNS:
        op.add_column("uploads", column, schema=S)
    op.create_index(
        "ix_uploads_due",
        "uploads",
        ["next_attempt_at"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "ix_uploads_unattached",
        "uploads",
        ["created_at"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("state = 'ready' AND attached_at IS NULL"),
    )
    op.create_table(
        "renditions",
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.uploads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("media_id", "name", "audience"),
        sa.UniqueConstraint("object_key"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("renditions", schema=S)
    op.drop_index(
        "ix_uploads_unattached",
        table_name="uploads",
        schema=S,
        postgresql_where=sa.text("state = 'ready' AND attached_at IS NULL"),
    )
    op.drop_index(
        "ix_uploads_due", table_name="uploads", schema=S, postgresql_where=sa.text("state = 'pending'")
    )
    for column in reversed(NEW_COLUMNS):
        op.drop_column("uploads", column.name, schema=S)
