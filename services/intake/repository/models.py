"""Tables of the intake service (schema `intake`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from libs.platform.tables import inbox_table, outbox_table, retention_runs_table

from ..domain.workflow_model import OPEN_STATES

SCHEMA = "intake"
# "Is this yours?" reads open reports of a category in a small lat/lon box (0003_open_nearby_index).
OPEN_PREDICATE = "status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES)))
metadata = sa.MetaData(schema=SCHEMA)

report_code_seq = sa.Sequence("report_code_seq", metadata=metadata)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("ward_code", sa.Text),
    sa.Column("ward_approximate", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("agency_code", sa.Text),
    sa.Column("accept_due_at", sa.DateTime(timezone=True)),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    sa.Column("reporter_sealed", sa.LargeBinary, comment="Fernet-encrypted ReporterContact JSON"),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("request_fingerprint", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # 0002_lifecycle: what the state machine needs, the operator queue, duplicates
    sa.Column("flags", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("past_agencies", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("co_agencies", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("triage_due_at", sa.DateTime(timezone=True)),
    sa.Column("info_due_at", sa.DateTime(timezone=True)),
    sa.Column("info_answered_at", sa.DateTime(timezone=True)),
    sa.Column("base_working_days", sa.Integer),
    sa.Column("extension_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("extension_pending_days", sa.Integer),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("rating", sa.Text),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reopen_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reject_reason", sa.Text),
    sa.Column("duplicate_of", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id")),
    sa.Column("supporters", sa.Integer, nullable=False, server_default="0"),
    sa.Column("queue_reason", sa.Text),
    sa.Column("attributes", JSONB, nullable=False, server_default="{}"),
    # 0006_trust_core: public once verified, operators' public text, keys per client, retention
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
    # 0008_deadline_version: routing owns the deadlines; the version of theirs this row holds
    sa.Column(
        "deadline_version",
        sa.Integer,
        nullable=False,
        server_default="0",
        comment="routing's deadline_version of accept_due_at/due_at (older events are ignored)",
    ),
    sa.UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_reports_idempotency"),
    sa.Index("ix_reports_closed_sealed", "closed_at", postgresql_where=sa.text("contact_erased_at IS NULL")),
    sa.Index("ix_reports_status_created", "status", "created_at"),
    sa.Index("ix_reports_agency_status", "agency_code", "status"),
    sa.Index("ix_reports_updated", "updated_at"),
    sa.Index("ix_reports_category_created", "category", "created_at"),
    sa.Index(
        "ix_reports_open_nearby",
        "category",
        "lat",
        "lon",
        "created_at",
        postgresql_where=sa.text(OPEN_PREDICATE),
    ),
    # the map feed (0009_public_map_index): bounding boxes and grid cells of public reports from the index
    # alone
    sa.Index(
        "ix_reports_public_map",
        "lon",
        "lat",
        postgresql_include=["status", "category", "created_at"],
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    ),
)

timeline = sa.Table(
    "timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True
    ),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_role", sa.Text, nullable=False),
    sa.Column("actor_agency", sa.Text),
    sa.Column("from_status", sa.Text),
    sa.Column("to_status", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
    # 0002_lifecycle
    sa.Column("action", sa.Text),
    sa.Column("visibility", sa.Text, nullable=False, server_default="public"),
    sa.Column("reason", sa.Text),
    sa.Column("actor_subject", sa.Text, comment="staff or system id; never a citizen's"),
    sa.Column("media_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    sa.Column("changes", JSONB),
    # 0007_open311_feed: the servicerequestupdates feed reads public steps in time order from a cursor
    sa.Index("ix_timeline_at_public", "at", "id", postgresql_where=sa.text("visibility = 'public'")),
)

agency_spells = sa.Table(
    "agency_spells",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True
    ),
    sa.Column("agency_code", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, comment="routing's reason: rule, default, override, manual"),
    sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("end_reason", sa.Text, comment="returned, rerouted"),
)

followers = sa.Table(
    "followers",
    metadata,
    sa.Column("ref", UUID(as_uuid=True), primary_key=True, comment="opaque recipient_ref"),
    sa.Column(
        "report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True
    ),
    sa.Column("role", sa.Text, nullable=False, comment="reporter | follower"),
    sa.Column(
        "source_report_id",
        UUID(as_uuid=True),
        sa.ForeignKey(f"{SCHEMA}.reports.id"),
        comment="contact is that report's sealed reporter",
    ),
    sa.Column("contact_sealed", sa.LargeBinary, comment="Fernet-encrypted ReporterContact JSON (me too)"),
    sa.Column("unsubscribed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "token_hash",
        sa.Text,
        unique=True,
        comment="SHA-256 (hex) of a me-too follower's private token; the token itself is never stored",
    ),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text),
    sa.Column("actor_kind", sa.Text, nullable=False, comment="staff | service"),
    sa.Column("actor_role", sa.Text),
    sa.Column("actor_sub", sa.Text),
    sa.Column("actor_agency", sa.Text),
    sa.Column("service", sa.Text),
    sa.Column("fields", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("media_id", UUID(as_uuid=True), comment="the file whose unblurred renditions were seen"),
    comment="append-only: a trigger refuses UPDATE, DELETE and TRUNCATE",
)

rate_counters = sa.Table(
    "rate_counters",
    metadata,
    sa.Column("key", sa.Text, primary_key=True, comment="HMAC of scope and identity, never the identity"),
    sa.Column("bucket", sa.BigInteger, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

media = sa.Table(
    "media",
    metadata,
    sa.Column("media_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True
    ),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "hidden",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
        comment="hidden by an operator: only the IOC sees it",
    ),
)

retention_runs = retention_runs_table(metadata)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# Tables of other intake modules share this metadata (so migrations and drift checks see them).
from . import open311_models  # noqa: E402,F401
