"""Tables of the routing service (schema `routing`): versioned directory, decisions, open cases,
escalations."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from libs.platform.tables import inbox_table, outbox_table

SCHEMA = "routing"
metadata = sa.MetaData(schema=SCHEMA)

directory_versions = sa.Table(
    "directory_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("source_hash", sa.Text),  # seed versions: hash of the seed files
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column(
        "op", sa.Text, nullable=False, server_default="seed"
    ),  # command name; legacy = before 0002, no entries
    sa.Column("change", JSONB),  # the administrator command, for the audit trail
    sa.Column("changed_entries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reroute_open_cases", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("applied_at", sa.DateTime(timezone=True)),  # when its effects on open cases were carried out
    sa.Column("rerouted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unroutable", sa.Integer, nullable=False, server_default="0"),
)

directory_entries = sa.Table(
    "directory_entries",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Column(
        "valid_from", sa.Integer, sa.ForeignKey(f"{SCHEMA}.directory_versions.version"), nullable=False
    ),
    # first version without this entry; NULL while current
    sa.Column("valid_to", sa.Integer, sa.ForeignKey(f"{SCHEMA}.directory_versions.version")),
    sa.Index("ix_directory_entries_range", "valid_from", "valid_to"),
    sa.Index(
        "uq_directory_entries_current",
        "kind",
        "key",
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    ),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cause_event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("ward_code", sa.Text),
    sa.Column("agency_code", sa.Text),
    sa.Column("co_handlers", JSONB, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),  # rule/default/override/manual, or the unroutable reason
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("directory_version", sa.Integer, nullable=False),
    sa.Column("accept_due_at", sa.DateTime(timezone=True)),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False, server_default="routed"),
    sa.Column("trigger", sa.Text, nullable=False, server_default="accepted"),
    sa.Column("ward_approximate", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("ward_method", sa.Text),
    sa.Column("operator_ward", sa.Text),
    sa.Column("manual_agency", sa.Text),
    sa.Column("escalation_agency", sa.Text),
    sa.Column("rule_id", sa.Text),
    sa.Column("explanation_en", sa.Text, nullable=False, server_default=""),
    sa.Column("note", sa.Text),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("operator_ward", sa.Text),
    sa.Column("manual_agency", sa.Text),
    sa.Column("ward_code", sa.Text),
    sa.Column("agency_code", sa.Text),
    sa.Column("co_handlers", JSONB, nullable=False, server_default="[]"),
    sa.Column("escalation_agency", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("decision_id", sa.BigInteger),
    sa.Column("directory_version", sa.Integer, nullable=False),
    sa.Column("clock_started_at", sa.DateTime(timezone=True)),
    sa.Column("accepted_at", sa.DateTime(timezone=True)),
    sa.Column("paused_at", sa.DateTime(timezone=True)),
    sa.Column("pauses", JSONB, nullable=False, server_default="[]"),
    sa.Column("extension_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("accept_due_at", sa.DateTime(timezone=True)),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "reopen_due_at", sa.DateTime(timezone=True)
    ),  # 0004: the operator's deadline of a reopened case
    sa.Column(
        "deadline_version", sa.Integer, nullable=False, server_default="0"
    ),  # 0004: +1 per deadline change
    sa.Column(
        "status_sequence", sa.BigInteger, nullable=False, server_default="0"
    ),  # 0004: intake's last step
    sa.Index("ix_cases_open_due", "due_at", postgresql_where=sa.text("closed_at IS NULL")),
    sa.Index("ix_cases_open_status", "status", postgresql_where=sa.text("closed_at IS NULL")),
)

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("agency_code", sa.Text, nullable=False),
    sa.Column("decision_id", sa.BigInteger, nullable=False),
    sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("released_at", sa.DateTime(timezone=True)),
    sa.Column("released_reason", sa.Text),
)

escalations = sa.Table(
    "escalations",
    metadata,
    sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("deadline", sa.Text, primary_key=True),
    sa.Column("level", sa.SmallInteger, primary_key=True),  # 0 due soon, 1 agency leader, 2 escalation/IOC
    sa.Column("due_at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
