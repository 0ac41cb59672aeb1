"""case lifecycle: state-machine columns, timeline details, agency history, followers, audit log, rate counters

Revision ID: 0002_lifecycle
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "intake"
TEXTS = postgresql.ARRAY(sa.Text())


def upgrade() -> None:
    add = lambda table, *cols: [op.add_column(table, c, schema=S) for c in cols]  # noqa: E731
    add(
        "reports",
        sa.Column("flags", TEXTS, server_default="{}", nullable=False),
        sa.Column("past_agencies", TEXTS, server_default="{}", nullable=False),
        sa.Column("co_agencies", TEXTS, server_default="{}", nullable=False),
        sa.Column("triage_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("info_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("info_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("base_working_days", sa.Integer(), nullable=True),
        sa.Column("extension_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("extension_pending_days", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Text(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reopen_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("duplicate_of", sa.UUID(), nullable=True),
        sa.Column("supporters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queue_reason", sa.Text(), nullable=True),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.create_foreign_key(
        "fk_reports_duplicate_of",
        "reports",
        "reports",
        ["duplicate_of"],
        ["id"],
        source_schema=S,
        referent_schema=S,
    )
    op.create_index("ix_reports_agency_status", "reports", ["agency_code", "status"], schema=S)
    op.create_index("ix_reports_updated", "reports", ["updated_at"], schema=S)
    op.create_index("ix_reports_category_created", "reports", ["category", "created_at"], schema=S)
    add(
        "timeline",
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("visibility", sa.Text(), server_default="public", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_subject", sa.Text(), nullable=True, comment="staff or system id; never a citizen's"),
        sa.Column("media_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.execute(f"UPDATE {S}.timeline SET visibility = CASE WHEN public THEN 'public' ELSE 'internal' END")
    op.create_table(
        "agency_spells",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column(
            "reason", sa.Text(), nullable=True, comment="routing's reason: rule, default, override, manual"
        ),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True, comment="returned, rerouted"),
        sa.ForeignKeyConstraint(["report_id"], ["intake.reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_intake_agency_spells_report_id"), "agency_spells", ["report_id"], schema=S)
    op.create_table(
        "followers",
        sa.Column("ref", sa.UUID(), nullable=False, comment="opaque recipient_ref"),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False, comment="reporter | follower"),
        sa.Column(
            "source_report_id", sa.UUID(), nullable=True, comment="contact is that report's sealed reporter"
        ),
        sa.Column(
            "contact_sealed",
            sa.LargeBinary(),
            nullable=True,
            comment="Fernet-encrypted ReporterContact JSON (me too)",
        ),
        sa.Column("unsubscribed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["intake.reports.id"]),
        sa.ForeignKeyConstraint(["source_report_id"], ["intake.reports.id"]),
        sa.PrimaryKeyConstraint("ref"),
        schema=S,
    )
    op.create_index(op.f("ix_intake_followers_report_id"), "followers", ["report_id"], schema=S)
    # every existing report's reporter follows it
    op.execute(
        f"INSERT INTO {S}.followers (ref, report_id, role, source_report_id, created_at) "
        f"SELECT gen_random_uuid(), id, 'reporter', id, created_at FROM {S}.reports"
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("actor_kind", sa.Text(), nullable=False, comment="staff | service"),
        sa.Column("actor_role", sa.Text(), nullable=True),
        sa.Column("actor_sub", sa.Text(), nullable=True),
        sa.Column("actor_agency", sa.Text(), nullable=True),
        sa.Column("service", sa.Text(), nullable=True),
        sa.Column("fields", TEXTS, server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
        comment="append-only: a trigger refuses UPDATE, DELETE and TRUNCATE",
    )
    op.create_index(op.f("ix_intake_audit_log_report_id"), "audit_log", ["report_id"], schema=S)
    op.execute(f"""
        CREATE FUNCTION {S}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'intake.audit_log is append-only'; END $$;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON {S}.audit_log
            FOR EACH ROW EXECUTE FUNCTION {S}.audit_log_append_only();
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {S}.audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION {S}.audit_log_append_only();
    """)
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.Text(), nullable=False, comment="HMAC of scope and identity, never the identity"),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "bucket"),
        schema=S,
    )
    op.create_index(op.f("ix_intake_rate_counters_expires_at"), "rate_counters", ["expires_at"], schema=S)


def downgrade() -> None:
    op.drop_table("rate_counters", schema=S)
    op.execute(f"DROP TABLE {S}.audit_log; DROP FUNCTION {S}.audit_log_append_only()")
    op.drop_table("followers", schema=S)
    op.drop_table("agency_spells", schema=S)
    for col in ("changes", "media_ids", "actor_subject", "reason", "visibility", "action"):
        op.drop_column("timeline", col, schema=S)
    for name in ("ix_reports_category_created", "ix_reports_updated", "ix_reports_agency_status"):
        op.drop_index(name, table_name="reports", schema=S)
    op.drop_constraint("fk_reports_duplicate_of", "reports", schema=S, type_="foreignkey")
    for col in (
        "attributes",
        "queue_reason",
        "supporters",
        "duplicate_of",
        "reject_reason",
        "reopen_requested",
        "reopen_count",
        "rating",
        "published_at",
        "extension_pending_days",
        "extension_count",
        "base_working_days",
        "info_answered_at",
        "info_due_at",
        "triage_due_at",
        "co_agencies",
        "past_agencies",
        "flags",
    ):
        op.drop_column("reports", col, schema=S)
