"""me-too followers: the hash of their private follower token (opens their in-app inbox, unsubscribes them)

Revision ID: 0004_follower_token
Revises: 0003_open_nearby
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_follower_token"
down_revision = "0003_open_nearby"
branch_labels = None
depends_on = None

S = "intake"


def upgrade() -> None:
    op.add_column(
        "followers",
        sa.Column(
            "token_hash",
            sa.Text(),
            nullable=True,
            comment="SHA-256 (hex) of a me-too follower's private token; the token itself is never stored",
        ),
        schema=S,
    )
    op.create_unique_constraint("followers_token_hash_key", "followers", ["token_hash"], schema=S)


def downgrade() -> None:
    op.drop_constraint("followers_token_hash_key", "followers", schema=S, type_="unique")
    op.drop_column("followers", "token_hash", schema=S)
