"""Tables of the routing service (schema `routing`): the directory and the decisions taken with it."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from libs.platform.tables import inbox_table, outbox_table

SCHEMA = "routing"
metadata = sa.MetaData(schema=SCHEMA)

directory_versions = sa.Table(
    "directory_versions", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("source_hash", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

units = sa.Table(
    "units", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

agencies = sa.Table(
    "agencies", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name_vi", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("unit_code", sa.Text),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

categories = sa.Table(
    "categories", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name_vi", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("default_agency", sa.Text, nullable=False),
    sa.Column("escalation_agency", sa.Text),
    sa.Column("co_handlers", JSONB, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

decisions = sa.Table(
    "decisions", metadata,
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
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("directory_version", sa.Integer, nullable=False),
    sa.Column("accept_due_at", sa.DateTime(timezone=True)),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
