"""Agency officers and leaders: the inbox, their cases, and their verbs (accept/return, progress, result...).

An agency sees only cases it holds or held: anything else is a 404 from intake (never a hint it exists).
(No `from __future__ import annotations`: the verb endpoints are built in a loop.)
"""
import asyncio
from typing import Annotated
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile

from libs.auth.tokens import Principal
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import (AddCoHandlers, AgencyAccept, AgencyReturn, CaseView, PostResult, ProgressNote,
                                      QueuePage, RequestExtension)
from libs.contracts.media import MediaView
from pydantic import BaseModel

from ..auth import actor_payload, require
from ..deps import Runtime, runtime
from ..problems import ApiError
from ..rpc import RemoteError
from .lifecycle_support import PROBLEMS, call_intake, staff_act

router = APIRouter(prefix="/v1/agency", tags=["agency"])
Officer = Annotated[Principal, Depends(require("agency_officer", "agency_leader"))]
CHUNK = 256 * 1024
MEDIA_WAIT_S = 5.0  # a just-confirmed photo reaches intake through an event: wait briefly for it


@router.get("/inbox", response_model=QueuePage, responses=PROBLEMS,
            summary="Hộp việc của đơn vị / the agency's inbox, by due time")
async def inbox(principal: Officer,
                bucket: Annotated[str | None, Query(description="new, in_progress, due_soon, overdue")] = None,
                offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                rt: Runtime = Depends(runtime)) -> dict:
    return await call_intake(rt, "list_queue", payload={"actor": actor_payload(principal), "bucket": bucket,
                                                        "offset": offset, "limit": limit})


@router.get("/reports/{report_id}", response_model=CaseView, responses=PROBLEMS,
            summary="Hồ sơ phản ánh / a case this agency holds or held")
async def get_case(report_id: UUID, principal: Officer, rt: Runtime = Depends(runtime)) -> dict:
    return await call_intake(rt, "get_case", payload={"report_id": str(report_id),
                                                      "actor": actor_payload(principal)})


@router.post("/reports/{report_id}/media", status_code=201, response_model=MediaView, responses=PROBLEMS,
             summary="Tải ảnh tiến độ/kết quả / upload a progress or after-photo (multipart `file`)")
async def upload(report_id: UUID, request: Request, principal: Officer, file: Annotated[UploadFile, File()],
                 role: Annotated[str, Form(pattern="^(result|evidence)$")] = "result",
                 rt: Runtime = Depends(runtime)) -> dict:
    length = int(request.headers.get("content-length") or 0)
    if length > rt.settings.max_upload_bytes + 64 * 1024:
        raise ApiError(ErrorCode.MEDIA_TOO_LARGE, f"at most {rt.settings.max_upload_bytes} bytes",
                       [{"field": "file", "message": "too large", "type": "too_large"}])
    await get_case(report_id, principal, rt)  # 404 unless this agency holds or held the case
    slot = await rt.rpc.call("media", "create_upload", payload={
        "report_id": str(report_id), "content_type": file.content_type or "application/octet-stream",
        "size": file.size or 1, "role": role})

    async def chunks():
        while data := await file.read(CHUNK):
            yield data

    try:
        put = await rt.http.put(slot["put_url"], content=chunks(), headers={"Content-Length": str(file.size)})
    except httpx.HTTPError as exc:
        raise ApiError(ErrorCode.UPSTREAM_UNAVAILABLE, f"object store unreachable: {exc}") from exc
    if put.status_code >= 300:
        raise ApiError(ErrorCode.UPSTREAM_UNAVAILABLE, f"object store refused the upload ({put.status_code})")
    view = await rt.rpc.call("media", "confirm_upload", media_id=slot["media_id"])
    if view["state"] == "rejected":
        raise ApiError(ErrorCode.MEDIA_REJECTED, f"media {view['id']} rejected",
                       [{"field": "file", "message": view["reject_reason"] or "rejected", "type": "media"}])
    return view


async def _act_waiting_for_media(rt: Runtime, report_id: UUID, principal: Principal, action: BaseModel) -> dict:
    """Staff verb; retried briefly while intake has not yet heard that the photos are stored."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MEDIA_WAIT_S
    while True:
        try:
            return await staff_act(rt, report_id, principal, action)
        except RemoteError as exc:
            if not (exc.exc_args and exc.exc_args[0] == ErrorCode.MEDIA_NOT_FOUND.value) or loop.time() > deadline:
                raise
            await asyncio.sleep(0.25)


def _verb(path: str, model: type[BaseModel], summary: str, waits_for_media: bool = False):
    """Register `POST /v1/agency/reports/{id}/<path>` for one verb."""

    async def endpoint(report_id: UUID, body: model, principal: Officer,  # type: ignore[valid-type]
                       rt: Runtime = Depends(runtime)) -> dict:
        if waits_for_media:
            return await _act_waiting_for_media(rt, report_id, principal, body)
        return await staff_act(rt, report_id, principal, body)

    endpoint.__name__ = f"agency_{path.replace('-', '_')}"
    router.post(f"/reports/{{report_id}}/{path}", response_model=CaseView, responses=PROBLEMS,
                summary=summary)(endpoint)


_verb("accept", AgencyAccept, "Nhận xử lý / accept the case")
_verb("return", AgencyReturn, "Chuyển trả / return: not our competence (with a reason)")
_verb("progress", ProgressNote, "Cập nhật tiến độ / post progress (photos and a date when overdue)", True)
_verb("co-handlers", AddCoHandlers, "Mời phối hợp / ask other agencies to co-handle")
_verb("extension", RequestExtension, "Xin gia hạn / request an extension (before the due date, once)")
_verb("result", PostResult, "Báo cáo kết quả / post the result with at least one after-photo", True)
