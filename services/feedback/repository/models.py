"""Tables of the feedback service (schema `feedback`): the facts it was told, the case figures folded from
them.

Nothing here identifies a person: facts keep only the non-personal fields of the events they came from.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from libs.platform.tables import inbox_table

SCHEMA = "feedback"
metadata = sa.MetaData(schema=SCHEMA)
TS = sa.DateTime(timezone=True)

facts = sa.Table(
    "facts",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Index("ix_facts_report", "report_id", "occurred_at"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("category", sa.Text),
    sa.Column("ward_code", sa.Text),
    sa.Column("agency_code", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("received_at", TS),
    sa.Column("accepted_at", TS),
    sa.Column("rejected_at", TS),
    sa.Column("routed_at", TS),
    sa.Column("due_at", TS),
    sa.Column("extended_at", TS),
    sa.Column("extension_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("published_at", TS),
    sa.Column("rated_at", TS),
    sa.Column("rating", sa.Text),
    sa.Column("closed_at", TS),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("clock_stopped_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("processing_seconds", sa.Float),
    sa.Column("first_at", TS, nullable=False),
    sa.Column("last_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_cases_span", "first_at", "last_at"),
    sa.Index("ix_cases_agency", "agency_code"),
    sa.Index("ix_cases_ward", "ward_code"),
    sa.Index("ix_cases_category", "category"),
)

inbox = inbox_table(metadata)
