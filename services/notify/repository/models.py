"""Tables of the notify service (schema `notify`): delivery records and channel settings, never contact
details.

- `deliveries`: one row per message to one agency channel or one citizen channel, with its state
  (pending → sent → acknowledged | failed(attempts, last_error, next_attempt_at) | skipped).
- `agency_channels`: how each agency (optionally per category) receives cases: amqp, webhook or email.
- `cases`: notify's projection of routed cases (who holds it, accept deadline, acknowledgement).
- `notices`: one citizen notification to fan out to whoever follows a case (expanded by the sweep).
- `case_recipients`: opaque recipient refs per case, their unsubscribe link token and unsubscription.
- `inapp_messages`: the citizen in-app inbox (a reporter's by `owner_report_id`, a follower's by
  `recipient_ref`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from libs.platform.tables import inbox_table, outbox_table

SCHEMA = "notify"
metadata = sa.MetaData(schema=SCHEMA)
TS = sa.DateTime(timezone=True)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cause_event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),  # agency code, or a citizen's opaque recipient_ref
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", TS),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("audience", sa.Text, nullable=False, server_default="agency"),
    sa.Column("dedupe_key", sa.Text, nullable=False, unique=True),
    sa.Column("channel_id", UUID(as_uuid=True)),
    sa.Column("notice_id", UUID(as_uuid=True)),
    sa.Column("template", sa.Text),
    sa.Column("payload", JSONB),  # the agency message, or citizen template values (never contact data)
    sa.Column("routing_key", sa.Text),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sent_at", TS),
    sa.Column("acknowledged_at", TS),
    sa.Column("acknowledged_by", sa.Text),
    sa.Column("updated_at", TS),
    sa.Index(
        "ix_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("state IN ('pending', 'failed') AND next_attempt_at IS NOT NULL"),
    ),
    sa.Index("ix_deliveries_state_created", "state", "created_at"),
)

agency_channels = sa.Table(
    "agency_channels",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("agency_code", sa.Text, nullable=False, index=True),
    sa.Column("category", sa.Text, comment="NULL: every category of the agency"),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("email", sa.Text, comment="the agency's own (institutional) address"),
    sa.Column("secrets", JSONB, nullable=False, server_default="[]"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.Text),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("category", sa.Text),
    sa.Column("priority", sa.Text),
    sa.Column("ward_code", sa.Text),
    sa.Column("ward_approximate", sa.Boolean),
    sa.Column("agency_code", sa.Text, nullable=False, index=True),
    sa.Column("co_handlers", JSONB, nullable=False, server_default="[]"),
    sa.Column("routing_reason", sa.Text),
    sa.Column("routed_at", TS, nullable=False),
    sa.Column("accept_due_at", TS),
    sa.Column("due_at", TS),
    sa.Column("acknowledged_at", TS),
    sa.Column("acknowledged_by", sa.Text),
    sa.Column("updated_at", TS, nullable=False),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cause_event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("values", JSONB, nullable=False),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("state", sa.Text, nullable=False, comment="pending | expanded | cancelled | failed"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", TS),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("cause_event_id", "template", name="uq_notice_per_event"),
    sa.Index("ix_notices_due", "next_attempt_at", postgresql_where=sa.text("state = 'pending'")),
)

case_recipients = sa.Table(
    "case_recipients",
    metadata,
    sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("recipient_ref", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column(
        "owner_report_id",
        UUID(as_uuid=True),
        index=True,
        comment="the report whose tracking token opens this recipient's in-app inbox",
    ),
    sa.Column("link_token", sa.Text, nullable=False, unique=True),
    sa.Column("unsubscribed_at", TS),
    sa.Column("created_at", TS, nullable=False),
)

inapp_messages = sa.Table(
    "inapp_messages",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("delivery_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("recipient_ref", sa.Text, nullable=False),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False),
    sa.Column("owner_report_id", UUID(as_uuid=True)),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_inapp_owner", "owner_report_id", "id"),
    sa.Index("ix_inapp_recipient", "report_id", "recipient_ref", "id"),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
