"""public map index: the map feed's bounding boxes and grid cells over public reports read one index

Revision ID: 0009_public_map_index
Revises: 0008_deadline_version
"""

from alembic import op

revision = "0009_public_map_index"
down_revision = "0008_deadline_version"
branch_labels = None
depends_on = None

S = "intake"


def upgrade() -> None:
    op.create_index(
        "ix_reports_public_map",
        "reports",
        ["lon", "lat"],
        schema=S,
        postgresql_include=["status", "category", "created_at"],
        postgresql_where="verified_at IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_reports_public_map", table_name="reports", schema=S)
