"""Outbox and inbox tables, one pair in each service's own schema; the retention jobs' daily runs."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """Events written in the same transaction as the state change; the relay publishes and stamps them."""
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "request_id", sa.Text, comment="the request that caused the event (sent as nameko.request_id)"
        ),
        sa.Index("ix_outbox_pending", "id", postgresql_where=sa.text("published_at IS NULL")),
    )


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    """Event ids a consumer has handled (or refused as invalid); a second delivery is skipped."""
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False, server_default="handled"),
        sa.Column("error", sa.Text),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Index("ix_inbox_parked", "handled_at", postgresql_where=sa.text("outcome <> 'handled'")),
    )


def retention_runs_table(metadata: sa.MetaData) -> sa.Table:
    """One row per retention job per day: the replica that inserts it runs the job
    (libs.platform.retention)."""
    return sa.Table(
        "retention_runs",
        metadata,
        sa.Column("job", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("counts", JSONB, nullable=False, server_default="{}"),
        comment="one row per retention job per day: the replica that inserts it runs the job",
    )


def create_retention_runs(op, schema: str) -> None:
    """The migration step that creates `retention_runs_table` in a service's schema (Alembic's `op`)."""
    op.create_table(
        "retention_runs",
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("counts", JSONB, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("job", "day"),
        schema=schema,
        comment="one row per retention job per day: the replica that inserts it runs the job",
    )


def upgrade_correlation(schema: str, outbox: bool = True) -> None:
    """Migration step shared by every service: the outbox's request id, the index of parked inbox rows."""
    from alembic import op

    if outbox:
        op.add_column(
            "outbox",
            sa.Column(
                "request_id",
                sa.Text(),
                comment=("the request that caused the event (sent as nameko.request_id)"),
            ),
            schema=schema,
        )
    op.create_index(
        "ix_inbox_parked",
        "inbox",
        ["handled_at"],
        schema=schema,
        postgresql_where=sa.text("outcome <> 'handled'"),
    )


def downgrade_correlation(schema: str, outbox: bool = True) -> None:
    """Undo `upgrade_correlation`."""
    from alembic import op

    op.drop_index("ix_inbox_parked", "inbox", schema=schema)
    if outbox:
        op.drop_column("outbox", "request_id", schema=schema)
