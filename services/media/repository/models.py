"""Tables of the media service (schema `media`).

`uploads` is one file of a report and its processing state (pending → ready | rejected(reason)); a failed
attempt is state too (`attempts`, `last_error`, `next_attempt_at`), swept by a timer with back-off.
`renditions` are the derivatives stored under random keys, each for one audience (operators or public).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from libs.platform.tables import inbox_table, outbox_table, retention_runs_table

SCHEMA = "media"
metadata = sa.MetaData(schema=SCHEMA)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("report_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("object_key", sa.Text, nullable=False, unique=True),  # the private original
    # the key the presigned PUT URL names; the confirmation copies the bytes to a fresh `object_key`, and the
    # sweep removes whatever is written here again once the URL has expired (then NULL)
    sa.Column("slot_key", sa.Text),
    sa.Column(
        "source_url", sa.Text
    ),  # a photo named by URL (Open311 media_url): kept for staff if not fetched
    sa.Column("declared_type", sa.Text),
    sa.Column("content_type", sa.Text),
    sa.Column("size", sa.BigInteger),
    sa.Column("reject_reason", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.Text),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("duration", sa.Float),
    sa.Column("faces_found", sa.Integer),
    sa.Column("redactions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("video_public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("uploader_role", sa.Text),
    sa.Column("uploader_agency", sa.Text),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("attached_at", sa.DateTime(timezone=True)),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),  # an operator hid it (intake)
    sa.Column(
        "original_deleted_at", sa.DateTime(timezone=True)
    ),  # the retention schedule deleted the original
    sa.Index("ix_uploads_due", "next_attempt_at", postgresql_where=sa.text("state = 'pending'")),
    sa.Index(
        "ix_uploads_unattached",
        "created_at",
        postgresql_where=sa.text("state = 'ready' AND attached_at IS NULL"),
    ),
    sa.Index(
        "ix_uploads_original_kept",
        "created_at",
        postgresql_where=sa.text("state = 'ready' AND original_deleted_at IS NULL"),
    ),
    sa.Index("ix_uploads_open_slots", "created_at", postgresql_where=sa.text("slot_key IS NOT NULL")),
)

renditions = sa.Table(
    "renditions",
    metadata,
    sa.Column(
        "media_id",
        UUID(as_uuid=True),
        sa.ForeignKey("media.uploads.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.Text, primary_key=True),  # master, card, thumb, video, poster, poster_thumb
    sa.Column("audience", sa.Text, primary_key=True),  # operator | public
    sa.Column("object_key", sa.Text, nullable=False, unique=True),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
retention_runs = retention_runs_table(metadata)
