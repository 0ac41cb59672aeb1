"""Reports: submit, read, rating state, categories."""
from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response

from libs.contracts.errors import ErrorCode, Problem
from libs.contracts.feedback import RatingState
from libs.contracts.reports import ReportRef, ReportView, SubmitReport
from libs.contracts.routing import CategoryView

from ..deps import Runtime, runtime
from ..problems import ApiError

router = APIRouter(prefix="/v1", tags=["reports"])
PROBLEMS = {code: {"model": Problem, "content": {"application/problem+json": {}}}
            for code in (404, 409, 422, 503, 504)}
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=8, max_length=200,
                                              description="Client-chosen key: a repeat returns the same report")]
TrackingToken = Annotated[str | None, Header(alias="X-Tracking-Token", max_length=200,
                                             description="The report's private tracking token")]


@router.post("/reports", status_code=201, response_model=ReportRef, responses=PROBLEMS,
             summary="Gửi phản ánh / submit a report")
async def submit_report(body: SubmitReport, response: Response, idempotency_key: IdempotencyKey = None,
                        rt: Runtime = Depends(runtime)) -> dict:
    if await rt.categories.known(rt.rpc, body.category) is False:
        raise ApiError(ErrorCode.UNKNOWN_CATEGORY, f"unknown category {body.category}",
                       [{"field": "category", "message": "not a known category (GET /v1/categories)",
                         "type": "unknown_category"}])
    ref = await rt.rpc.call("intake", "submit_report",
                            payload={"report": body.model_dump(mode="json"), "idempotency_key": idempotency_key})
    if ref.get("replayed"):
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/reports/{ref['id']}"
    return ref


@router.get("/reports/{report_id}", response_model=ReportView, responses=PROBLEMS,
            response_model_exclude_none=True, summary="Xem phản ánh / read a report with its timeline")
async def get_report(report_id: UUID, tracking_token: TrackingToken = None,
                     token: Annotated[str | None, Query(max_length=200, description="Same as X-Tracking-Token")] = None,
                     rt: Runtime = Depends(runtime)) -> dict:
    return await rt.rpc.call("intake", "get_report",
                             payload={"report_id": str(report_id), "tracking_token": tracking_token or token})


@router.get("/reports/{report_id}/rating", response_model=RatingState, responses=PROBLEMS,
            summary="Trạng thái đánh giá / rating state of a report")
async def rating_state(report_id: UUID, rt: Runtime = Depends(runtime)) -> dict:
    await rt.rpc.call("intake", "get_report", payload={"report_id": str(report_id)})  # 404 if unknown
    return await rt.rpc.call("feedback", "get_rating_state", report_id=str(report_id))


@router.get("/categories", response_model=list[CategoryView], responses=PROBLEMS,
            summary="Lĩnh vực phản ánh / report categories")
async def categories(rt: Runtime = Depends(runtime)) -> list:
    return await rt.rpc.call("routing", "list_categories")
