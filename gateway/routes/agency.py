"""Agency officers and leaders: the inbox, their cases, and their verbs (accept/return, progress, result...).

An agency sees only cases it holds or held: anything else is a 404 from intake (never a hint it exists).
(No `from __future__ import annotations`: the verb endpoints are built in a loop.)
"""

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from libs.auth.tokens import Principal
from libs.contracts.common import MAX_OFFSET
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import (
    AddCoHandlers,
    AgencyAccept,
    AgencyReturn,
    CaseView,
    PostResult,
    ProgressNote,
    QueuePage,
    RequestExtension,
)
from libs.contracts.media import MediaView

from ..auth import actor_payload, require
from ..calls import PROBLEMS, call_intake, staff_act
from ..deps import Runtime, runtime
from ..problems import ApiError
from ..rpc import RemoteError
from ..uploads import check_headers, evidence_refused, receive_file, store_file
from .media import MULTIPART_DOC

router = APIRouter(prefix="/v1/agency", tags=["agency"])
Officer = Annotated[Principal, Depends(require("agency_officer", "agency_leader"))]
CHUNK = 256 * 1024
MEDIA_WAIT_S = 5.0  # a just-confirmed photo reaches intake through an event: wait briefly for it


@router.get(
    "/inbox",
    response_model=QueuePage,
    responses=PROBLEMS,
    summary="Hộp việc của đơn vị / the agency's inbox, by due time",
)
async def inbox(
    principal: Officer,
    bucket: Annotated[str | None, Query(description="new, in_progress, due_soon, overdue")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    rt: Runtime = Depends(runtime),
) -> dict:
    return await call_intake(
        rt,
        "list_queue",
        payload={"actor": actor_payload(principal), "bucket": bucket, "offset": offset, "limit": limit},
    )


@router.get(
    "/reports/{report_id}",
    response_model=CaseView,
    responses=PROBLEMS,
    summary="Hồ sơ phản ánh / a case this agency holds or held",
)
async def get_case(report_id: UUID, principal: Officer, rt: Runtime = Depends(runtime)) -> dict:
    return await call_intake(
        rt, "get_case", payload={"report_id": str(report_id), "actor": actor_payload(principal)}
    )


@router.post(
    "/reports/{report_id}/media",
    status_code=201,
    response_model=MediaView,
    responses=PROBLEMS,
    openapi_extra=MULTIPART_DOC,
    summary="Tải ảnh tiến độ/kết quả / upload a progress or after-photo (multipart `file`, `role`)",
)
async def upload(
    report_id: UUID, request: Request, principal: Officer, rt: Runtime = Depends(runtime)
) -> dict:
    check_headers(request)  # refuses an oversized body before reading it
    await get_case(report_id, principal, rt)  # the token and the case are checked before the body is read
    received = await receive_file(request, "file")  # streamed, counted: 413 as soon as it passes the limit
    role = received.fields.get("role") or "result"
    if role not in ("result", "evidence"):
        received.remove()
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            "role is result or evidence",
            [{"field": "role", "message": "result | evidence", "type": "enum"}],
        )
    if role == "evidence":  # the reporter's; media refuses it too, and checks this agency holds the case now
        received.remove()
        raise evidence_refused()
    return await store_file(rt, report_id, received, role=role, actor=actor_payload(principal))


async def _act_waiting_for_media(
    rt: Runtime, report_id: UUID, principal: Principal, action: BaseModel
) -> dict:
    """Staff verb; retried briefly while intake has not yet heard that the photos are stored."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MEDIA_WAIT_S
    while True:
        try:
            return await staff_act(rt, report_id, principal, action)
        except RemoteError as exc:
            if exc.code != ErrorCode.MEDIA_NOT_FOUND or loop.time() > deadline:
                raise
            await asyncio.sleep(0.25)


def _verb(path: str, model: type[BaseModel], summary: str, waits_for_media: bool = False):
    """Register `POST /v1/agency/reports/{id}/<path>` for one verb."""

    async def endpoint(
        report_id: UUID,
        body: model,
        principal: Officer,  # type: ignore[valid-type]
        rt: Runtime = Depends(runtime),
    ) -> dict:
        if waits_for_media:
            return await _act_waiting_for_media(rt, report_id, principal, body)
        return await staff_act(rt, report_id, principal, body)

    endpoint.__name__ = f"agency_{path.replace('-', '_')}"
    router.post(
        f"/reports/{{report_id}}/{path}", response_model=CaseView, responses=PROBLEMS, summary=summary
    )(endpoint)


_verb("accept", AgencyAccept, "Nhận xử lý / accept the case")
_verb("return", AgencyReturn, "Chuyển trả / return: not our competence (with a reason)")
_verb("progress", ProgressNote, "Cập nhật tiến độ / post progress (photos and a date when overdue)", True)
_verb("co-handlers", AddCoHandlers, "Mời phối hợp / ask other agencies to co-handle")
_verb("extension", RequestExtension, "Xin gia hạn / request an extension (before the due date, once)")
_verb("result", PostResult, "Báo cáo kết quả / post the result with at least one after-photo", True)
