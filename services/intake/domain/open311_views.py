"""Open311 rows as the contracts show them: posted updates, feed items, submission records."""

from __future__ import annotations

from libs.contracts.common import Status
from libs.contracts.open311 import FeedItem, SubmissionRecord, UpdateView
from libs.privacy.visibility import note_for


def update_view(row, code: str | None = None) -> UpdateView:
    """A stored update as the feed shows it (`code`: the report's, when the row does not carry it)."""
    return UpdateView(
        update_id=f"U{row.id}",
        report_id=row.report_id,
        code=code or row.code,
        status=row.status,
        requested_state=row.requested_state,
        state_at_post=row.state_at_post,
        description=row.description,
        media_url=row.media_url,
        updated_datetime=row.updated_at,
        received_at=row.received_at,
    )


def feed_item(row) -> FeedItem:
    """A feed row as the gateway renders it: a step's note as the public reads it, a posted update as
    stored."""
    common = dict(
        kind=row.kind,
        id=row.id,
        code=row.code,
        lat=row.lat,
        lon=row.lon,
        recorded_at=row.recorded_at,
        updated_datetime=row.updated_datetime,
    )
    if row.kind == 0:
        return FeedItem(
            **common,
            ordinal=row.ordinal,
            from_status=row.from_status,
            to_status=row.to_status,
            note=note_for("public", row.note, row.actor_role),
        )
    return FeedItem(
        **common,
        update_id=f"U{row.id}",
        state_at_post=row.state_at_post,
        description=row.description,
        media_url=row.media_url,
    )


def submission_record(row) -> SubmissionRecord:
    """A partner's submission (and its batch token) as the gateway needs it."""
    return SubmissionRecord(
        report_id=row.report_id,
        code=row.code,
        status=Status(row.status),
        token=row.token,
        client_name=row.client_name,
    )
