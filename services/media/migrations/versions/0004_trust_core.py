"""trust: files hidden by an operator, originals deleted by the retention schedule, its daily runs

Revision ID: 0004_trust_core
Revises: 0003_correlation
"""

import sqlalchemy as sa
from alembic import op

from libs.platform.tables import create_retention_runs

revision = "0004_trust_core"
down_revision = "0003_correlation"
branch_labels = None
depends_on = None

S = "media"


def upgrade() -> None:
    op.add_column(
        "uploads", sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()), schema=S
    )
    op.add_column("uploads", sa.Column("original_deleted_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index(
        "ix_uploads_original_kept",
        "uploads",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("state = 'ready' AND original_deleted_at IS NULL"),
    )
    create_retention_runs(op, S)


def downgrade() -> None:
    op.drop_table("retention_runs", schema=S)
    op.drop_index("ix_uploads_original_kept", table_name="uploads", schema=S)
    op.drop_column("uploads", "original_deleted_at", schema=S)
    op.drop_column("uploads", "hidden", schema=S)
