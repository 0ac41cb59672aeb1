"""Tables of the intake service (schema `intake`)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from libs.platform.tables import inbox_table, outbox_table

SCHEMA = "intake"
metadata = sa.MetaData(schema=SCHEMA)

report_code_seq = sa.Sequence("report_code_seq", metadata=metadata)

reports = sa.Table(
    "reports", metadata,
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
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("request_fingerprint", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_reports_status_created", "status", "created_at"),
)

timeline = sa.Table(
    "timeline", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_role", sa.Text, nullable=False),
    sa.Column("actor_agency", sa.Text),
    sa.Column("from_status", sa.Text),
    sa.Column("to_status", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
)

media = sa.Table(
    "media", metadata,
    sa.Column("media_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
