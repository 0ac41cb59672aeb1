"""Intake's Open311 tables (schema `intake`; migrations 0002_open311, 0003_open311_update_grant): partner
keys, submissions, updates."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from .models import SCHEMA, metadata

api_keys = sa.Table(
    "open311_api_keys",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("client_name", sa.Text, nullable=False),
    sa.Column("prefix", sa.Text, nullable=False, comment="First characters of the key, to recognise it"),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True, comment="SHA-256 of the whole key, hex"),
    sa.Column("rate_limit_per_hour", sa.Integer, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_by", sa.Text),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column(
        "may_update_any",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
        comment="Granted: may post updates on any public request, not only on the ones it submitted",
    ),
)

submissions = sa.Table(
    "open311_submissions",
    metadata,
    sa.Column("report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), primary_key=True),
    sa.Column("key_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.open311_api_keys.id"), nullable=False),
    sa.Column("client_name", sa.Text, nullable=False),
    sa.Column(
        "token", sa.Text, unique=True, comment="Batch services only: resolvable through tokens/{token}"
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

updates = sa.Table(
    "open311_updates",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("client_name", sa.Text, nullable=False),
    sa.Column("key_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.open311_api_keys.id"), nullable=False),
    sa.Column("external_id", sa.Text, nullable=False, comment="The poster's update_id (idempotency key)"),
    sa.Column(
        "report_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.reports.id"), nullable=False, index=True
    ),
    sa.Column("status", sa.Text, nullable=False, comment="mySociety extended status as posted"),
    sa.Column("requested_state", sa.Text, comment="Our state it maps to (operators decide); NULL = a note"),
    sa.Column("state_at_post", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("media_url", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("client_name", "external_id", name="uq_open311_updates_client_external"),
    # 0007_open311_feed: the feed reads posted updates in the order they were received, from a cursor
    sa.Index("ix_open311_updates_received", "received_at", "id"),
)

rate_counters = sa.Table(
    "open311_rate_counters",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("bucket", sa.BigInteger, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
