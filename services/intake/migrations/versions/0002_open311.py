"""open311: partner API keys, submissions with batch tokens, posted updates, rate counters

Revision ID: 0002_open311
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_open311"
down_revision = "0001"
branch_labels = ("open311",)
depends_on = None

S = "intake"


def upgrade() -> None:
    op.create_table(
        "open311_api_keys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_name", sa.Text(), nullable=False),
        sa.Column(
            "prefix", sa.Text(), nullable=False, comment="First characters of the key, to recognise it"
        ),
        sa.Column("key_hash", sa.Text(), nullable=False, comment="SHA-256 of the whole key, hex"),
        sa.Column("rate_limit_per_hour", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        schema=S,
    )
    op.create_table(
        "open311_submissions",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("key_id", sa.UUID(), nullable=False),
        sa.Column("client_name", sa.Text(), nullable=False),
        sa.Column(
            "token",
            sa.Text(),
            nullable=True,
            comment="Batch services only: resolvable through tokens/{token}",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], [f"{S}.reports.id"]),
        sa.ForeignKeyConstraint(["key_id"], [f"{S}.open311_api_keys.id"]),
        sa.PrimaryKeyConstraint("report_id"),
        sa.UniqueConstraint("token"),
        schema=S,
    )
    op.create_table(
        "open311_updates",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_name", sa.Text(), nullable=False),
        sa.Column("key_id", sa.UUID(), nullable=False),
        sa.Column(
            "external_id", sa.Text(), nullable=False, comment="The poster's update_id (idempotency key)"
        ),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="mySociety extended status as posted"),
        sa.Column(
            "requested_state",
            sa.Text(),
            nullable=True,
            comment="Our state it maps to (operators decide); NULL = a note",
        ),
        sa.Column("state_at_post", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], [f"{S}.open311_api_keys.id"]),
        sa.ForeignKeyConstraint(["report_id"], [f"{S}.reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_name", "external_id", name="uq_open311_updates_client_external"),
        schema=S,
    )
    op.create_index(op.f("ix_intake_open311_updates_report_id"), "open311_updates", ["report_id"], schema=S)
    op.create_index(op.f("ix_intake_open311_updates_updated_at"), "open311_updates", ["updated_at"], schema=S)
    op.create_table(
        "open311_rate_counters",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "bucket"),
        schema=S,
    )
    op.create_index(
        op.f("ix_intake_open311_rate_counters_expires_at"), "open311_rate_counters", ["expires_at"], schema=S
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_intake_open311_rate_counters_expires_at"), table_name="open311_rate_counters", schema=S
    )
    op.drop_table("open311_rate_counters", schema=S)
    op.drop_index(op.f("ix_intake_open311_updates_updated_at"), table_name="open311_updates", schema=S)
    op.drop_index(op.f("ix_intake_open311_updates_report_id"), table_name="open311_updates", schema=S)
    op.drop_table("open311_updates", schema=S)
    op.drop_table("open311_submissions", schema=S)
    op.drop_table("open311_api_keys", schema=S)
