"""delivery: channel configuration, delivery state, routed cases, citizen notices, in-app inbox, outbox

Revision ID: 0002_delivery
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_delivery"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "notify"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_constraint("uq_delivery_per_event", "deliveries", schema=S, type_="unique")
    for column in (
        sa.Column("audience", sa.Text(), server_default="agency", nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=True),
        sa.Column("channel_id", sa.UUID(), nullable=True),
        sa.Column("notice_id", sa.UUID(), nullable=True),
        sa.Column("template", sa.Text(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("routing_key", sa.Text(), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
    ):
        op.add_column("deliveries", column, schema=S)
    # rows of the walking skeleton keep their old uniqueness as their dedupe key
    op.execute(
        "UPDATE notify.deliveries SET dedupe_key = "
        "cause_event_id::text || ':' || recipient || ':' || kind || ':' || channel"
    )
    op.alter_column("deliveries", "dedupe_key", nullable=False, schema=S)
    op.create_unique_constraint("deliveries_dedupe_key_key", "deliveries", ["dedupe_key"], schema=S)
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("state IN ('pending', 'failed') AND next_attempt_at IS NOT NULL"),
    )
    op.create_index("ix_deliveries_state_created", "deliveries", ["state", "created_at"], schema=S)

    op.create_table(
        "agency_channels",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True, comment="NULL: every category of the agency"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True, comment="the agency's own (institutional) address"),
        sa.Column("secrets", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(
        op.f("ix_notify_agency_channels_agency_code"), "agency_channels", ["agency_code"], schema=S
    )

    op.create_table(
        "cases",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column("ward_code", sa.Text(), nullable=True),
        sa.Column("ward_approximate", sa.Boolean(), nullable=True),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column(
            "co_handlers", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("routing_reason", sa.Text(), nullable=True),
        sa.Column("routed_at", TS, nullable=False),
        sa.Column("accept_due_at", TS, nullable=True),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
        schema=S,
    )
    op.create_index(op.f("ix_notify_cases_agency_code"), "cases", ["agency_code"], schema=S)

    op.create_table(
        "notices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("cause_event_id", sa.UUID(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False, comment="pending | expanded | cancelled | failed"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cause_event_id", "template", name="uq_notice_per_event"),
        schema=S,
    )
    op.create_index(op.f("ix_notify_notices_report_id"), "notices", ["report_id"], schema=S)
    op.create_index(
        "ix_notices_due",
        "notices",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )

    op.create_table(
        "case_recipients",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("recipient_ref", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column(
            "owner_report_id",
            sa.UUID(),
            nullable=True,
            comment="the report whose tracking token opens this recipient's in-app inbox",
        ),
        sa.Column("link_token", sa.Text(), nullable=False),
        sa.Column("unsubscribed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("report_id", "recipient_ref"),
        sa.UniqueConstraint("link_token"),
        schema=S,
    )
    op.create_index(
        op.f("ix_notify_case_recipients_owner_report_id"), "case_recipients", ["owner_report_id"], schema=S
    )

    op.create_table(
        "inapp_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.UUID(), nullable=False),
        sa.Column("recipient_ref", sa.Text(), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("owner_report_id", sa.UUID(), nullable=True),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id"),
        schema=S,
    )
    op.create_index("ix_inapp_owner", "inapp_messages", ["owner_report_id", "id"], schema=S)

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema=S,
    )
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], schema=S, postgresql_where=sa.text("published_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_pending", table_name="outbox", schema=S, postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox", schema=S)
    op.drop_index("ix_inapp_owner", table_name="inapp_messages", schema=S)
    op.drop_table("inapp_messages", schema=S)
    op.drop_index(op.f("ix_notify_case_recipients_owner_report_id"), table_name="case_recipients", schema=S)
    op.drop_table("case_recipients", schema=S)
    op.drop_index(
        "ix_notices_due", table_name="notices", schema=S, postgresql_where=sa.text("state = 'pending'")
    )
    op.drop_index(op.f("ix_notify_notices_report_id"), table_name="notices", schema=S)
    op.drop_table("notices", schema=S)
    op.drop_index(op.f("ix_notify_cases_agency_code"), table_name="cases", schema=S)
    op.drop_table("cases", schema=S)
    op.drop_index(op.f("ix_notify_agency_channels_agency_code"), table_name="agency_channels", schema=S)
    op.drop_table("agency_channels", schema=S)
    op.drop_index("ix_deliveries_state_created", table_name="deliveries", schema=S)
    op.drop_index("ix_deliveries_due", table_name="deliveries", schema=S)
    op.drop_constraint("deliveries_dedupe_key_key", "deliveries", schema=S, type_="unique")
    for name in (
        "updated_at",
        "acknowledged_by",
        "acknowledged_at",
        "sent_at",
        "urgent",
        "routing_key",
        "payload",
        "template",
        "notice_id",
        "channel_id",
        "dedupe_key",
        "audience",
    ):
        op.drop_column("deliveries", name, schema=S)
    # several deliveries per event and recipient may now exist (one per channel): keep the oldest of each
    op.execute(
        "DELETE FROM notify.deliveries d USING notify.deliveries e WHERE d.cause_event_id = e.cause_event_id "
        "AND d.recipient = e.recipient AND d.kind = e.kind "
        "AND (d.created_at, d.id::text) > (e.created_at, e.id::text)"
    )
    op.create_unique_constraint(
        "uq_delivery_per_event", "deliveries", ["cause_event_id", "recipient", "kind"], schema=S
    )
