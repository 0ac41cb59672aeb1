"""Tables of the feedback service (schema `feedback`)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from libs.platform.tables import inbox_table

SCHEMA = "feedback"
metadata = sa.MetaData(schema=SCHEMA)

ratings = sa.Table(
    "ratings", metadata,
    sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("rating", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("window_closes_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

inbox = inbox_table(metadata)
