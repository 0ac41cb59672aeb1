"""Reports: submit, "is this yours?", read, the public list and map feed, rating state, categories."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import Field

from libs.contracts.common import MAX_OFFSET, NO_CONTROL, CategoryCode, Contract, Location, Status
from libs.contracts.errors import ErrorCode
from libs.contracts.feedback import RatingState
from libs.contracts.reports import ReportRef, ReportView, SimilarReport, SubmitReport
from libs.contracts.routing import CategoryDetail
from libs.contracts.search import ReportPage

from ..calls import PROBLEMS, call_intake, call_reads, client_info
from ..deps import Runtime, runtime
from ..problems import ApiError
from ..questions import category_view, checked_answers

router = APIRouter(prefix="/v1", tags=["reports"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        description="Client-chosen key: a repeat returns the same report",
    ),
]
TrackingToken = Annotated[
    str | None,
    Header(alias="X-Tracking-Token", max_length=200, description="The report's private tracking token"),
]
DeviceId = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        max_length=200,
        description="The app's install id (rate limits only, never shown)",
    ),
]
GEOJSON = "application/geo+json"


class CitizenReport(SubmitReport):
    """A citizen's report. `priority: KHAN` asks for urgency (routed at once, public once an operator verifies
    it); a `channel` is ignored: the channel comes from who is calling, never from the body."""

    channel: str | None = Field(
        None,
        deprecated=True,
        max_length=64,
        description="Bỏ qua / ignored: the channel comes from who is calling",
    )


async def _known_category(rt: Runtime, code: str) -> dict:
    """The category's row ({"code"} alone while routing was never reached: intake checks it then)."""
    rows = await rt.categories.load(rt.rpc)
    if rows and code not in rows:
        raise ApiError(
            ErrorCode.UNKNOWN_CATEGORY,
            f"unknown category {code}",
            [
                {
                    "field": "category",
                    "message": "not a known category (GET /v1/categories)",
                    "type": "unknown_category",
                }
            ],
        )
    return rows.get(code) or {"code": code}


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportRef,
    responses=PROBLEMS,
    summary="Gửi phản ánh / submit a report",
)
async def submit_report(
    body: CitizenReport,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    device_id: DeviceId = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    category = await _known_category(rt, body.category)
    body = body.model_copy(update={"attributes": checked_answers(category, body.attributes)})
    ref = await call_intake(
        rt,
        "submit_report",
        payload={
            "report": body.model_dump(mode="json", exclude={"channel"}),
            "idempotency_key": idempotency_key,
            "client": client_info(request, device_id),
            "channel": "web",
        },
    )
    if ref.get("replayed"):
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/reports/{ref['id']}"
    return ref


class SimilarBody(Contract):
    """Before submitting: the category and the point (the client is the caller, as the gateway sees it)."""

    category: CategoryCode
    location: Location


@router.post(
    "/reports/similar",
    response_model=list[SimilarReport],
    responses=PROBLEMS,
    summary="Phản ánh tương tự gần đây / public open reports nearby: is this yours? (rate-limited)",
)
async def similar_reports(
    body: SimilarBody, request: Request, device_id: DeviceId = None, rt: Runtime = Depends(runtime)
) -> list:
    return await call_intake(
        rt,
        "similar_reports",
        payload={**body.model_dump(mode="json"), "client": client_info(request, device_id)},
    )


def _bad_bbox(message: str) -> ApiError:
    return ApiError(
        ErrorCode.VALIDATION_FAILED,
        f"bbox: {message}",
        [{"field": "bbox", "message": message, "type": "bbox"}],
    )


def _search_payload(
    category, ward, status, created_from, created_to, updated_from, updated_to, bbox, q, offset, limit, order
) -> dict:
    box = None
    if bbox:
        try:
            box = [float(x) for x in bbox.split(",")]
        except ValueError:
            box = []
        if len(box) != 4:
            raise _bad_bbox("four numbers: min_lon,min_lat,max_lon,max_lat (west,south,east,north)")
        if not all(-180 <= box[i] <= 180 and -90 <= box[i + 1] <= 90 for i in (0, 2)):  # NaN fails too
            raise _bad_bbox("longitudes within ±180, latitudes within ±90")
    payload = {
        "categories": category,
        "wards": ward,
        "statuses": status,
        "bbox": box,
        "q": q,
        "created_from": created_from,
        "created_to": created_to,
        "updated_from": updated_from,
        "updated_to": updated_to,
        "offset": offset,
        "limit": limit,
        "order": order,
        "public_only": True,
    }
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in payload.items()
        if v not in (None, [])
    }


class SearchParams:
    """Query parameters of the public list and the map feed."""

    def __init__(
        self,
        category: Annotated[list[str] | None, Query(description="Category codes (repeat)")] = None,
        ward: Annotated[list[str] | None, Query(description="5-digit ward codes (repeat)")] = None,
        status: Annotated[list[Status] | None, Query(description="Statuses (repeat)")] = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        updated_from: datetime | None = None,
        updated_to: datetime | None = None,
        bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
        q: Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL)] = None,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        order: Literal["created_desc", "updated_desc", "due_asc"] = "created_desc",
    ):
        self.payload = _search_payload(
            category,
            ward,
            status and [s.value for s in status],
            created_from,
            created_to,
            updated_from,
            updated_to,
            bbox,
            q,
            offset,
            limit,
            order,
        )


ListView = Annotated[
    Literal["full", "compact"],
    Query(
        description=(
            "`full` (default): each report with its public timeline; `compact`: without the `timeline` key "
            "(a list "
            "screen's card needs none of it: about a third of the bytes)"
        )
    ),
]


@router.get(
    "/reports",
    response_model=ReportPage,
    responses=PROBLEMS,
    response_model_exclude_unset=True,
    summary="Danh sách phản ánh công khai / public list of verified reports",
)
async def list_reports(
    params: SearchParams = Depends(), view: ListView = "full", rt: Runtime = Depends(runtime)
) -> dict:
    payload = params.payload if view == "full" else {**params.payload, "timeline": False}
    return await call_reads(rt, "search_reports", payload=payload)


MapZoom = Annotated[
    int | None,
    Query(
        ge=0,
        le=22,
        description=(
            "With `bbox`: the map's zoom level. Below 15, one feature per grid cell (`cluster`, `count`, "
            "`statuses`, "
            "`categories`); from 15 on, one per report inside the box (`category`, `status`, a short "
            "`title`, `due_at`; "
            "at most 500, the newest; `truncated` says when there were more). Without it: the newest reports "
            "with more "
            "properties, as "
            "`offset`/`limit` page them"
        ),
    ),
]


@router.get(
    "/reports.geojson",
    responses=PROBLEMS,
    response_class=Response,
    summary="Bản đồ phản ánh (GeoJSON) / map feed of verified reports: clusters or markers by zoom",
)
async def map_feed(
    request: Request, params: SearchParams = Depends(), zoom: MapZoom = None, rt: Runtime = Depends(runtime)
) -> Response:
    if zoom is not None:
        box = params.payload.get("bbox")
        if box is None:
            raise _bad_bbox("required with zoom: west,south,east,north")
        if box[0] > box[2] or box[1] > box[3]:
            raise _bad_bbox("west ≤ east and south ≤ north")
        search = {k: v for k, v in params.payload.items() if k not in ("offset", "limit", "order")}
        collection = await call_reads(rt, "map_feed", payload={"search": search, "zoom": zoom})
        return _geojson(request, json.dumps(collection, ensure_ascii=False, separators=(",", ":")))
    page = await call_reads(rt, "search_reports", payload=params.payload)
    keep = (
        "id",
        "code",
        "category",
        "status",
        "priority",
        "description",
        "address",
        "ward_code",
        "agency_code",
        "due_at",
        "created_at",
        "updated_at",
    )
    features = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {"type": "Point", "coordinates": [r["location"]["lon"], r["location"]["lat"]]},
            "properties": {k: r.get(k) for k in keep} | {"photos": len(r.get("photos", []))},
        }
        for r in page["items"]
    ]
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "features": features,
            "total": page["total"],
            "offset": page["offset"],
            "limit": page["limit"],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return _geojson(request, body)


def _geojson(request: Request, body: str) -> Response:
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:  # ~10x less on a phone's 3G
        return Response(
            gzip.compress(body.encode(), 6),
            media_type=GEOJSON,
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(body.encode(), media_type=GEOJSON, headers={"Vary": "Accept-Encoding"})


@router.get(
    "/reports/{report_id}",
    response_model=ReportView,
    responses=PROBLEMS,
    response_model_exclude_none=True,
    summary="Xem phản ánh / read a report with its timeline",
)
async def get_report(
    report_id: UUID, request: Request, tracking_token: TrackingToken = None, rt: Runtime = Depends(runtime)
) -> dict:
    if tracking_token is None:
        return await call_reads(rt, "get_report", payload={"report_id": str(report_id)})
    return await call_intake(
        rt,
        "get_report",
        payload={  # the token only in its header: URLs end up in logs
            "report_id": str(report_id),
            "tracking_token": tracking_token,
            "client": client_info(request),
        },
    )


@router.get(
    "/reports/{report_id}/rating",
    response_model=RatingState,
    responses=PROBLEMS,
    summary="Trạng thái đánh giá / rating state of a report",
)
async def rating_state(report_id: UUID, rt: Runtime = Depends(runtime)) -> dict:
    await call_reads(rt, "get_report", payload={"report_id": str(report_id)})  # 404 if unknown
    return await rt.rpc.call("feedback", "get_rating_state", report_id=str(report_id))


@router.get(
    "/categories",
    response_model=list[CategoryDetail],
    responses=PROBLEMS,
    summary="Lĩnh vực phản ánh / report categories with their extra questions (answer them in `attributes`)",
)
async def categories(rt: Runtime = Depends(runtime)) -> list:
    return [category_view(row) for row in await rt.rpc.call("routing", "list_categories")]
