"""Tables of the notify service (schema `notify`): delivery records, never contact details."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from libs.platform.tables import inbox_table

SCHEMA = "notify"
metadata = sa.MetaData(schema=SCHEMA)

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cause_event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("cause_event_id", "recipient", "kind", name="uq_delivery_per_event"),
)

inbox = inbox_table(metadata)
