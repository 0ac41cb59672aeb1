"""initial intake schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("report_code_seq", schema="intake")))
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), server_default="handled", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "consumer"),
        schema="intake",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema="intake",
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        schema="intake",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("ward_code", sa.Text(), nullable=True),
        sa.Column("ward_approximate", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=True),
        sa.Column("accept_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "reporter_sealed",
            sa.LargeBinary(),
            nullable=True,
            comment="Fernet-encrypted ReporterContact JSON",
        ),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("request_fingerprint", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("idempotency_key"),
        schema="intake",
    )
    op.create_index(
        "ix_reports_status_created", "reports", ["status", "created_at"], unique=False, schema="intake"
    )
    op.create_table(
        "media",
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["intake.reports.id"],
        ),
        sa.PrimaryKeyConstraint("media_id"),
        schema="intake",
    )
    op.create_index(op.f("ix_intake_media_report_id"), "media", ["report_id"], unique=False, schema="intake")
    op.create_table(
        "timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("actor_agency", sa.Text(), nullable=True),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["intake.reports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="intake",
    )
    op.create_index(
        op.f("ix_intake_timeline_report_id"), "timeline", ["report_id"], unique=False, schema="intake"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_intake_timeline_report_id"), table_name="timeline", schema="intake")
    op.drop_table("timeline", schema="intake")
    op.drop_index(op.f("ix_intake_media_report_id"), table_name="media", schema="intake")
    op.drop_table("media", schema="intake")
    op.drop_index("ix_reports_status_created", table_name="reports", schema="intake")
    op.drop_table("reports", schema="intake")
    op.drop_index(
        "ix_outbox_pending",
        table_name="outbox",
        schema="intake",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema="intake")
    op.drop_table("inbox", schema="intake")
    op.execute(sa.schema.DropSequence(sa.Sequence("report_code_seq", schema="intake")))
