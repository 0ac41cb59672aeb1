"""Tables of the media service (schema `media`)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from libs.platform.tables import inbox_table, outbox_table

SCHEMA = "media"
metadata = sa.MetaData(schema=SCHEMA)

uploads = sa.Table(
    "uploads", metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("object_key", sa.Text, nullable=False, unique=True),
    sa.Column("declared_type", sa.Text),
    sa.Column("content_type", sa.Text),
    sa.Column("size", sa.BigInteger),
    sa.Column("reject_reason", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
