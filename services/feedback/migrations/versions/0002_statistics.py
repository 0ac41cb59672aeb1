"""statistics read model: facts and case figures (replaces ratings)

Revision ID: 0002
Revises: 0001

Open rating windows of the old `ratings` table are carried over as publication facts, so a window opened
before the upgrade still answers OPEN/CLOSED after it.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "facts",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        schema="feedback",
    )
    op.create_index("ix_facts_report", "facts", ["report_id", "occurred_at"], unique=False, schema="feedback")
    op.create_table(
        "cases",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("ward_code", sa.Text(), nullable=True),
        sa.Column("agency_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("received_at", TS, nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("rejected_at", TS, nullable=True),
        sa.Column("routed_at", TS, nullable=True),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("extended_at", TS, nullable=True),
        sa.Column("extension_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("rated_at", TS, nullable=True),
        sa.Column("rating", sa.Text(), nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("clock_stopped_seconds", sa.Float(), server_default="0", nullable=False),
        sa.Column("processing_seconds", sa.Float(), nullable=True),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
        schema="feedback",
    )
    op.create_index("ix_cases_span", "cases", ["first_at", "last_at"], unique=False, schema="feedback")
    op.create_index("ix_cases_agency", "cases", ["agency_code"], unique=False, schema="feedback")
    op.create_index("ix_cases_ward", "cases", ["ward_code"], unique=False, schema="feedback")
    op.create_index("ix_cases_category", "cases", ["category"], unique=False, schema="feedback")
    op.execute("""
        INSERT INTO feedback.facts (event_id, report_id, kind, occurred_at, data)
        SELECT gen_random_uuid(), report_id, 'status', window_closes_at - interval '7 days',
               '{"to_status": "DA_CONG_KHAI", "from_status": "DA_XU_LY"}'::jsonb
        FROM feedback.ratings WHERE window_closes_at IS NOT NULL
    """)
    op.execute("""
        INSERT INTO feedback.cases (report_id, status, published_at, first_at, last_at, updated_at)
        SELECT report_id, 'DA_CONG_KHAI', window_closes_at - interval '7 days', window_closes_at - interval '7 days',
               window_closes_at - interval '7 days', now()
        FROM feedback.ratings WHERE window_closes_at IS NOT NULL
    """)
    op.drop_table("ratings", schema="feedback")


def downgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("rating", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("window_closes_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
        schema="feedback",
    )
    op.execute("""
        INSERT INTO feedback.ratings (report_id, state, rating, window_closes_at, updated_at)
        SELECT report_id, CASE WHEN rated_at IS NOT NULL THEN 'RATED' ELSE 'OPEN' END, rating,
               published_at + interval '7 days', updated_at
        FROM feedback.cases WHERE published_at IS NOT NULL
    """)
    op.drop_index("ix_cases_category", table_name="cases", schema="feedback")
    op.drop_index("ix_cases_agency", table_name="cases", schema="feedback")
    op.drop_index("ix_cases_ward", table_name="cases", schema="feedback")
    op.drop_index("ix_cases_span", table_name="cases", schema="feedback")
    op.drop_table("cases", schema="feedback")
    op.drop_index("ix_facts_report", table_name="facts", schema="feedback")
    op.drop_table("facts", schema="feedback")
