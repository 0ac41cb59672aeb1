"""open311: a partner key posts updates only on the requests it submitted, unless granted `may_update_any`

Revision ID: 0003_open311_update_grant
Revises: 0002_open311
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_open311_update_grant"
down_revision = "0002_open311"
branch_labels = None
depends_on = None

S = "intake"


def upgrade() -> None:
    op.add_column(
        "open311_api_keys",
        sa.Column(
            "may_update_any",
            sa.Boolean,
            nullable=False,
            server_default=sa.false(),
            comment="Granted: may post updates on any public request, not only on the ones it submitted",
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("open311_api_keys", "may_update_any", schema=S)
