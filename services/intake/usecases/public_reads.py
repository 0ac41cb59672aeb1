"""Public reads: what anyone may see, as plain functions over a unit of work (no nameko here).

Served by both `intake` (its RPCs) and `intake_reads` (the public GETs of the gateway, on workers of their own);
none of them writes.
"""
from __future__ import annotations

from libs.contracts.errors import ErrorCode
from libs.contracts.open311 import FeedCursor, FeedPage, FeedQuery, ListUpdates, ResolveToken, UpdateList
from libs.contracts.reports import GetReport
from libs.contracts.search import ReportPage, SearchReports
from libs.platform.errors import ServiceError, parse

from ..domain.access import VISIBLE
from ..domain.open311_views import feed_item, submission_record, update_view
from ..domain.views import public_report, report_view
from ..repository import open311_store
from ..repository import reports as repo
from ..repository import search as search_sql
from .casefile import load_report


def report(db, row) -> dict:
    """One report as the public sees it (only code, category and status when it is not public); `row` from
    `casefile.load_report` (which may raise REPORT_NOT_FOUND)."""
    return report_view(row, repo.steps(db, row.id, VISIBLE["public"]), repo.media_of(db, row.id)).model_dump(
        mode="json")


def public_view(db, payload: dict) -> dict:
    """One report as the public sees it; may raise REPORT_NOT_FOUND. A tracking token is refused: intake checks
    tokens (and counts wrong ones), the gateway sends those reads there."""
    query = parse(GetReport, payload)
    if query.tracking_token:
        raise ServiceError(ErrorCode.VALIDATION_FAILED, "tracking tokens are checked by intake",
                           [{"field": "tracking_token", "message": "not here", "type": "wrong_service"}])
    return report(db, load_report(db, query.report_id))


def search(db, payload: dict) -> dict:
    """The shared search (public list, map feed, Open311 `GET requests`): no personal data, masked text, public
    notes, files that are not hidden."""
    query = parse(SearchReports, payload)
    rows, total = search_sql.search(db, query)
    ids = [r.id for r in rows]
    steps, photos = repo.public_steps(db, ids), repo.media_ids_of(db, ids)
    items = [public_report(r, steps[r.id], photos[r.id]) for r in rows]
    return ReportPage(items=items, total=total, offset=query.offset, limit=query.limit).model_dump(mode="json")


def open311_updates(db, payload: dict) -> dict:
    """Posted updates of some reports and/or in a window on updated_datetime, oldest first."""
    query = parse(ListUpdates, payload)
    rows = open311_store.list_updates(db, query.report_ids, query.updated_from, query.updated_to, query.limit)
    return UpdateList(items=[update_view(r) for r in rows]).model_dump(mode="json")


def open311_feed(db, payload: dict) -> dict:
    """One batch of the servicerequestupdates feed (public steps and posted updates of public reports), in the
    order they were recorded; `next` continues it."""
    query = parse(FeedQuery, payload)
    rows = open311_store.feed(db, query)
    items = [feed_item(row) for row in rows]
    last = rows[-1] if len(rows) == query.limit else None
    cursor = FeedCursor(recorded_at=last.recorded_at, kind=last.kind, id=last.id) if last is not None else None
    return FeedPage(items=items, next=cursor).model_dump(mode="json")


def open311_token(db, payload: dict) -> dict:
    """The submission behind a batch token; may raise OPEN311_TOKEN_NOT_FOUND."""
    query = parse(ResolveToken, payload)
    row = open311_store.submission(db, token=query.token)
    if row is None:
        raise ServiceError(ErrorCode.OPEN311_TOKEN_NOT_FOUND, f"no token {query.token}")
    return submission_record(row).model_dump(mode="json")
