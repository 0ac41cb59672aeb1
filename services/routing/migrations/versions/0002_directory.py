"""versioned directory entries, case projection, assignments, escalations; richer decisions

The walking skeleton's units/agencies/categories tables are replaced by `directory_entries` (one row per entry
per version range). Versions written before this revision have no entries: they are marked `legacy` and the
seed (run by `make run` and the tests) writes the directory again as a new version.

Revision ID: 0002_directory
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_directory"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "routing"


def upgrade() -> None:
    add = lambda table, *cols: [op.add_column(table, c, schema=S) for c in cols]  # noqa: E731
    add(
        "directory_versions",
        sa.Column("op", sa.Text(), server_default="seed", nullable=False),
        sa.Column("change", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("changed_entries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reroute_open_cases", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rerouted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unroutable", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(f"UPDATE {S}.directory_versions SET op = 'legacy', applied_at = created_at")

    op.create_table(
        "directory_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["valid_from"], [f"{S}.directory_versions.version"]),
        sa.ForeignKeyConstraint(["valid_to"], [f"{S}.directory_versions.version"]),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index("ix_directory_entries_range", "directory_entries", ["valid_from", "valid_to"], schema=S)
    op.create_index(
        "uq_directory_entries_current",
        "directory_entries",
        ["kind", "key"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("valid_to IS NULL"),
    )

    add(
        "decisions",
        sa.Column("outcome", sa.Text(), server_default="routed", nullable=False),
        sa.Column("trigger", sa.Text(), server_default="accepted", nullable=False),
        sa.Column("ward_approximate", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("ward_method", sa.Text(), nullable=True),
        sa.Column("operator_ward", sa.Text(), nullable=True),
        sa.Column("manual_agency", sa.Text(), nullable=True),
        sa.Column("escalation_agency", sa.Text(), nullable=True),
        sa.Column("rule_id", sa.Text(), nullable=True),
        sa.Column("explanation_en", sa.Text(), server_default="", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.execute(
        f"UPDATE {S}.decisions SET outcome = 'unroutable', reason = substr(reason, 12) "
        f"WHERE reason LIKE 'unroutable:%'"
    )

    op.create_table(
        "cases",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("operator_ward", sa.Text(), nullable=True),
        sa.Column("manual_agency", sa.Text(), nullable=True),
        sa.Column("ward_code", sa.Text(), nullable=True),
        sa.Column("agency_code", sa.Text(), nullable=True),
        sa.Column(
            "co_handlers", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("escalation_agency", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=True),
        sa.Column("directory_version", sa.Integer(), nullable=False),
        sa.Column("clock_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pauses", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("extension_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("accept_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
        schema=S,
    )
    op.create_index(
        "ix_cases_open_due", "cases", ["due_at"], schema=S, postgresql_where=sa.text("closed_at IS NULL")
    )
    op.create_index(
        "ix_cases_open_status", "cases", ["status"], schema=S, postgresql_where=sa.text("closed_at IS NULL")
    )

    op.create_table(
        "assignments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_routing_assignments_report_id"), "assignments", ["report_id"], schema=S)

    op.create_table(
        "escalations",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("deadline", sa.Text(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "deadline", "level", "due_at"),
        schema=S,
    )

    for table in ("units", "agencies", "categories"):
        op.drop_table(table, schema=S)


def downgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "units",
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("data", jsonb, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        schema=S,
    )
    op.create_table(
        "agencies",
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text()),
        sa.Column("data", jsonb, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        schema=S,
    )
    op.create_table(
        "categories",
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_agency", sa.Text(), nullable=False),
        sa.Column("escalation_agency", sa.Text()),
        sa.Column("co_handlers", jsonb, nullable=False),
        sa.Column("data", jsonb, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        schema=S,
    )
    op.drop_table("escalations", schema=S)
    op.drop_index(op.f("ix_routing_assignments_report_id"), table_name="assignments", schema=S)
    op.drop_table("assignments", schema=S)
    op.drop_index("ix_cases_open_status", table_name="cases", schema=S)
    op.drop_index("ix_cases_open_due", table_name="cases", schema=S)
    op.drop_table("cases", schema=S)
    op.execute(f"UPDATE {S}.decisions SET reason = 'unroutable:' || reason WHERE outcome = 'unroutable'")
    for col in (
        "note",
        "explanation_en",
        "rule_id",
        "escalation_agency",
        "manual_agency",
        "operator_ward",
        "ward_method",
        "ward_approximate",
        "trigger",
        "outcome",
    ):
        op.drop_column("decisions", col, schema=S)
    op.drop_index("uq_directory_entries_current", table_name="directory_entries", schema=S)
    op.drop_index("ix_directory_entries_range", table_name="directory_entries", schema=S)
    op.drop_table("directory_entries", schema=S)
    for col in (
        "unroutable",
        "rerouted",
        "applied_at",
        "reroute_open_cases",
        "changed_entries",
        "change",
        "op",
    ):
        op.drop_column("directory_versions", col, schema=S)
