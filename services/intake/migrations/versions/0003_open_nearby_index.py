"""duplicate suggestions: a partial index of open reports by category and position

Revision ID: 0003_open_nearby
Revises: 0002_lifecycle
"""

from alembic import op

revision = "0003_open_nearby"
down_revision = "0002_lifecycle"
branch_labels = None
depends_on = None

S = "intake"
# The open states of workflow_model.OPEN_STATES when this revision was written (a test compares them).
OPEN = (
    "CHO_BO_SUNG",
    "CHO_TIEP_NHAN",
    "DANG_XU_LY",
    "DA_CHUYEN_XU_LY",
    "DA_TIEP_NHAN",
    "DA_XU_LY",
    "TRA_LAI",
)


def upgrade() -> None:
    op.create_index(
        "ix_reports_open_nearby",
        "reports",
        ["category", "lat", "lon", "created_at"],
        schema=S,
        postgresql_where="status IN ({})".format(", ".join(f"'{s}'" for s in OPEN)),
    )


def downgrade() -> None:
    op.drop_index("ix_reports_open_nearby", table_name="reports", schema=S)
