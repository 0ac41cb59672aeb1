"""trust: verified cases stay public, operators' public text and hidden photos, idempotency keys per client,
closing time and erased contacts (retention), audited photo views, audit purge only by the retention job

Revision ID: 0006_trust_core
Revises: 0005_correlation
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from libs.platform.tables import create_retention_runs

revision = "0006_trust_core"
down_revision = "0005_correlation"
branch_labels = None
depends_on = None

S = "intake"
AFTER_ACCEPT = (
    "('DA_TIEP_NHAN','DA_CHUYEN_XU_LY','DANG_XU_LY','TRA_LAI','DA_XU_LY','DA_CONG_KHAI','DA_DANH_GIA','DONG')"
)
TERMINAL = "('TU_CHOI','DA_DANH_GIA','DONG')"
AUDIT_FLOOR = "365 days"  # the trigger lets the retention job delete only audit rows older than this


def upgrade() -> None:
    cols = [
        sa.Column(
            "verified_at",
            sa.DateTime(timezone=True),
            comment="when the IOC (or trusted automatic triage) verified it: public from then on",
        ),
        sa.Column(
            "closed_at", sa.DateTime(timezone=True), comment="when it reached a terminal state (retention)"
        ),
        sa.Column(
            "public_description", sa.Text, comment="the operators' edit of the public text (original kept)"
        ),
        sa.Column("public_address", sa.Text, comment="the operators' edit of the public address"),
        sa.Column(
            "idempotency_scope",
            sa.Text,
            nullable=False,
            server_default="",
            comment="whose Idempotency-Key: an HMAC of the device or IP, an API key id, a staff subject",
        ),
        sa.Column(
            "contact_erased_at",
            sa.DateTime(timezone=True),
            comment="when the sealed identity was erased (retention, or the reporter's own request)",
        ),
    ]
    for col in cols:
        op.add_column("reports", col, schema=S)
    op.drop_constraint("reports_idempotency_key_key", "reports", schema=S, type_="unique")
    op.create_unique_constraint(
        "uq_reports_idempotency", "reports", ["idempotency_scope", "idempotency_key"], schema=S
    )
    op.create_index(
        "ix_reports_closed_sealed",
        "reports",
        ["closed_at"],
        schema=S,
        postgresql_where=sa.text("contact_erased_at IS NULL"),
    )
    op.add_column(
        "media",
        sa.Column(
            "hidden",
            sa.Boolean,
            nullable=False,
            server_default=sa.false(),
            comment="hidden by an operator: only the IOC sees it",
        ),
        schema=S,
    )
    op.add_column(
        "audit_log",
        sa.Column("media_id", UUID(as_uuid=True), comment="the file whose unblurred renditions were seen"),
        schema=S,
    )
    create_retention_runs(op, S)
    # cases verified before this migration: an operator's accept, or automatic triage of a non-urgent report
    op.execute(f"""
        UPDATE {S}.reports r SET verified_at = COALESCE(
            (SELECT min(t.at) FROM {S}.timeline t WHERE t.report_id = r.id AND t.action = 'accept'
                AND (t.actor_role = 'operator' OR r.priority <> 'KHAN')),
            CASE WHEN r.priority <> 'KHAN' THEN r.created_at END)
        WHERE r.status IN {AFTER_ACCEPT}""")
    op.execute(f"""
        UPDATE {S}.reports r SET closed_at = COALESCE(
            (SELECT max(t.at) FROM {S}.timeline t WHERE t.report_id = r.id AND t.to_status IN {TERMINAL}),
            r.updated_at)
        WHERE r.status IN {TERMINAL}""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {S}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND current_setting('intake.audit_retention', true) = 'on'
                    AND OLD.at < now() - interval '{AUDIT_FLOOR}' THEN
                RETURN OLD;  -- the retention job, past the audit log's own period
            END IF;
            RAISE EXCEPTION 'intake.audit_log is append-only';
        END $$""")


def downgrade() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {S}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'intake.audit_log is append-only'; END $$""")
    op.drop_table("retention_runs", schema=S)
    op.drop_column("audit_log", "media_id", schema=S)
    op.drop_column("media", "hidden", schema=S)
    op.drop_index("ix_reports_closed_sealed", table_name="reports", schema=S)
    op.drop_constraint("uq_reports_idempotency", "reports", schema=S, type_="unique")
    op.create_unique_constraint("reports_idempotency_key_key", "reports", ["idempotency_key"], schema=S)
    for col in (
        "contact_erased_at",
        "idempotency_scope",
        "public_address",
        "public_description",
        "closed_at",
        "verified_at",
    ):
        op.drop_column("reports", col, schema=S)
