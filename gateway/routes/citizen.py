"""The citizen's steps on a report: answer a request for information, rate, ask to reopen, "me too".

The reporter proves ownership with the report's tracking token (`X-Tracking-Token`); a wrong token is a 404. A
"me too" answer carries the follower's private token: their inbox and unsubscribe are in `notify_citizen.py`.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from libs.contracts.lifecycle import ContactErased, MeTooRef, RateResult, RequestReopen, SupplyInfo
from libs.contracts.reports import ReporterContact, ReportView

from ..calls import PROBLEMS, call_intake, client_info
from ..deps import Runtime, runtime

router = APIRouter(prefix="/v1/reports", tags=["citizen"])
Token = Annotated[
    str,
    Header(
        alias="X-Tracking-Token",
        min_length=8,
        max_length=200,
        description="The report's private tracking token",
    ),
]
DeviceId = Annotated[str | None, Header(alias="X-Device-Id", max_length=200)]


class MeTooBody(BaseModel):
    """Optional contact, so the case's news reaches this citizen too (sealed like a reporter's)."""

    contact: ReporterContact | None = None


async def _citizen(rt: Runtime, request: Request, report_id: UUID, token: str, action: BaseModel) -> dict:
    return await call_intake(
        rt,
        "citizen_action",
        payload={
            "report_id": str(report_id),
            "tracking_token": token,
            "action": action.model_dump(mode="json"),
            "client": client_info(request),
        },
    )


@router.post(
    "/{report_id}/info",
    response_model=ReportView,
    responses=PROBLEMS,
    response_model_exclude_none=True,
    summary="Bổ sung thông tin / answer the operator's request for information",
)
async def supply_info(
    report_id: UUID, body: SupplyInfo, token: Token, request: Request, rt: Runtime = Depends(runtime)
) -> dict:
    return await _citizen(rt, request, report_id, token, body)


@router.post(
    "/{report_id}/rating",
    response_model=ReportView,
    responses=PROBLEMS,
    response_model_exclude_none=True,
    summary="Đánh giá kết quả / rate the published result",
)
async def rate(
    report_id: UUID, body: RateResult, token: Token, request: Request, rt: Runtime = Depends(runtime)
) -> dict:
    return await _citizen(rt, request, report_id, token, body)


@router.post(
    "/{report_id}/reopen",
    response_model=ReportView,
    responses=PROBLEMS,
    response_model_exclude_none=True,
    summary="Đề nghị xử lý lại / ask once to reopen (when unsatisfied)",
)
async def request_reopen(
    report_id: UUID, body: RequestReopen, token: Token, request: Request, rt: Runtime = Depends(runtime)
) -> dict:
    return await _citizen(rt, request, report_id, token, body)


@router.delete(
    "/{report_id}/contact",
    response_model=ContactErased,
    responses=PROBLEMS,
    summary="Xóa thông tin liên hệ / the reporter erases their contact data (name, phone, e-mail) at any "
    "time; the report stays and news still reaches the in-app inbox",
)
async def erase_contact(
    report_id: UUID, token: Token, request: Request, rt: Runtime = Depends(runtime)
) -> dict:
    return await call_intake(
        rt,
        "erase_contact",
        payload={"report_id": str(report_id), "tracking_token": token, "client": client_info(request)},
    )


@router.post(
    "/{report_id}/me-too",
    status_code=201,
    response_model=MeTooRef,
    responses=PROBLEMS,
    summary="Tôi cũng gặp / follow this case instead of reporting it again; the answer's private "
    "`follower_token` (shown once) opens your in-app messages and unsubscribes you",
)
async def me_too(
    report_id: UUID,
    request: Request,
    body: MeTooBody | None = None,
    device_id: DeviceId = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    contact = body.contact.model_dump(mode="json") if body and body.contact else None
    return await call_intake(
        rt,
        "me_too",
        payload={"report_id": str(report_id), "contact": contact, "client": client_info(request, device_id)},
    )
