"""Public reads: what anyone may see, as plain functions over a unit of work (no nameko here).

Served by both `intake` (its RPCs) and `intake_reads` (the public GETs of the gateway, on workers of their
own); none of them writes."""

from __future__ import annotations

from libs.contracts.errors import ErrorCode
from libs.contracts.open311 import FeedCursor, FeedPage, FeedQuery, ListUpdates, ResolveToken, UpdateList
from libs.contracts.reports import GetReport
from libs.contracts.search import MapQuery, ReportPage, SearchReports
from libs.platform.errors import ServiceError, parse
from libs.privacy.visibility import text_for

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
        mode="json"
    )


def public_view(db, payload: dict) -> dict:
    """One report as the public sees it; may raise REPORT_NOT_FOUND. A tracking token is refused: intake
    checks tokens (and counts wrong ones), the gateway sends those reads there."""
    query = parse(GetReport, payload)
    if query.tracking_token:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            "tracking tokens are checked by intake",
            [{"field": "tracking_token", "message": "not here", "type": "wrong_service"}],
        )
    return report(db, load_report(db, query.report_id))


def search(db, payload: dict) -> dict:
    """The shared search (public list, map feed, Open311 `GET requests`): no personal data, masked text,
    public notes, files that are not hidden; without the timelines (and their query) when `timeline` is
    False."""
    query = parse(SearchReports, payload)
    rows, total = search_sql.search(db, query)
    ids = [r.id for r in rows]
    steps = repo.public_steps(db, ids) if query.timeline else {}
    photos = repo.media_ids_of(db, ids)
    items = [public_report(r, steps.get(r.id, ()), photos[r.id]) for r in rows]
    page = ReportPage(items=items, total=total, offset=query.offset, limit=query.limit)
    if query.timeline:
        return page.model_dump(mode="json")
    return page.model_dump(
        mode="json", exclude={"items": {"__all__": {"timeline"}}}
    )  # compact: no timeline key


POINTS_FROM_ZOOM = 15  # below: clusters; from it on: markers (a 360-px phone at zoom 15 shows ~ 1.5 km)
CELLS_PER_TILE = 4  # a cluster cell is a quarter of a 256-px tile: ~ 64 px on screen
MAX_POINTS = 500  # markers in one answer (the newest; `truncated` says when there were more)
TITLE_CHARS = 60


def cell_size(zoom: int) -> float:
    """The side of a cluster cell in degrees at `zoom`."""
    return 360.0 / (2**zoom) / CELLS_PER_TILE


def map_feed(db, payload: dict) -> dict:
    """The map at one zoom level as GeoJSON: below POINTS_FROM_ZOOM one feature per grid cell with reports
    (its centre of mass, the count, counts per status and per category), from it on one feature per report
    (id, category, status, a short masked title, the due time that colours an overdue marker). Grid cells,
    counts and sums are computed in SQL."""
    query = parse(MapQuery, payload)
    if query.zoom < POINTS_FROM_ZOOM:
        cell = cell_size(query.zoom)
        cells: dict[tuple, dict] = {}
        for row in search_sql.map_cells(db, query.search, cell):
            c = cells.setdefault(
                (int(row.gx), int(row.gy)), {"n": 0, "lon": 0.0, "lat": 0.0, "statuses": {}, "categories": {}}
            )
            c["n"] += row.n
            c["lon"] += row.lon
            c["lat"] += row.lat
            c["statuses"][row.status] = c["statuses"].get(row.status, 0) + row.n
            c["categories"][row.category] = c["categories"].get(row.category, 0) + row.n
        features = [
            {
                "type": "Feature",
                "id": f"{query.zoom}/{gx}/{gy}",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(c["lon"] / c["n"], 5), round(c["lat"] / c["n"], 5)],
                },
                "properties": {
                    "cluster": True,
                    "count": c["n"],
                    "statuses": c["statuses"],
                    "categories": c["categories"],
                },
            }
            for (gx, gy), c in sorted(cells.items())
        ]
        total = sum(c["n"] for c in cells.values())
        return {
            "type": "FeatureCollection",
            "mode": "clusters",
            "zoom": query.zoom,
            "cell_deg": cell,
            "total": total,
            "truncated": False,
            "features": features,
        }
    rows = search_sql.map_points(db, query.search, MAX_POINTS + 1)
    features = [
        {
            "type": "Feature",
            "id": str(row.id),
            "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
            "properties": {
                "category": row.category,
                "status": row.status,
                "title": _title(text_for("public", row.description, row.public_description)),
                "due_at": row.due_at and row.due_at.isoformat(),
            },
        }
        for row in rows[:MAX_POINTS]
    ]
    return {
        "type": "FeatureCollection",
        "mode": "points",
        "zoom": query.zoom,
        "total": len(features),
        "truncated": len(rows) > MAX_POINTS,
        "features": features,
    }


def _title(text: str | None) -> str:
    """The first words of a masked text (masked first, then cut)."""
    text = " ".join((text or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


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
    cursor = (
        FeedCursor(recorded_at=last.recorded_at, kind=last.kind, id=last.id) if last is not None else None
    )
    return FeedPage(items=items, next=cursor).model_dump(mode="json")


def open311_token(db, payload: dict) -> dict:
    """The submission behind a batch token; may raise OPEN311_TOKEN_NOT_FOUND."""
    query = parse(ResolveToken, payload)
    row = open311_store.submission(db, token=query.token)
    if row is None:
        raise ServiceError(ErrorCode.OPEN311_TOKEN_NOT_FOUND, f"no token {query.token}")
    return submission_record(row).model_dump(mode="json")
