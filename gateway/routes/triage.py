"""The IOC operator: queue, case view, the sealed identity (audited), triage and review verbs.

(No `from __future__ import annotations`: the verb endpoints are built in a loop and FastAPI reads their
annotations as objects.)
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from libs.auth.tokens import Principal
from libs.contracts.common import MAX_OFFSET
from libs.contracts.lifecycle import (
    AcceptReport,
    AuditEntry,
    CaseView,
    DecideExtension,
    DecideReopen,
    EditPublicText,
    HideMedia,
    MergeReport,
    QueuePage,
    RejectReport,
    ReporterDisclosure,
    RequestInfo,
    RequestReroute,
    ReviewResult,
    VerifyReport,
)
from libs.contracts.reports import ReportRef, SubmitReport

from ..auth import actor_payload, personal_data_grant, require
from ..calls import PROBLEMS, call_intake, staff_act
from ..deps import Runtime, runtime

router = APIRouter(prefix="/v1/operator", tags=["operator"])
Operator = Annotated[Principal, Depends(require("operator"))]


class NoteBody(BaseModel):
    """An optional note (public or not depending on the verb)."""

    note: str = Field("", max_length=4000)


class ReopenBody(NoteBody):
    due_in_days: int | None = Field(None, ge=1, le=60)


@router.get(
    "/queue",
    response_model=QueuePage,
    responses=PROBLEMS,
    summary="Hàng chờ điều hành / the operator's queue: unverified urgent cases first, then by due time",
)
async def queue(
    principal: Operator,
    bucket: Annotated[
        str | None,
        Query(
            description="urgent, new, info_answered, unroutable, returned, results, extensions, "
            "reopen_requests, "
            "overdue"
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    rt: Runtime = Depends(runtime),
) -> dict:
    return await call_intake(
        rt,
        "list_queue",
        payload={"actor": actor_payload(principal), "bucket": bucket, "offset": offset, "limit": limit},
    )


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportRef,
    responses=PROBLEMS,
    summary="Nhập phản ánh qua đường dây nóng / enter a report taken on the hotline (channel `hotline`)",
)
async def enter_hotline_report(
    body: SubmitReport,
    principal: Operator,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=8, max_length=200)
    ] = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    """The caller's contact (if given) is sealed like a citizen's; `AUTO_ACCEPT_CHANNELS=hotline` verifies
    it."""
    ref = await call_intake(
        rt,
        "submit_report",
        payload={
            "report": body.model_dump(mode="json"),
            "idempotency_key": idempotency_key,
            "channel": "hotline",
            "staff_sub": principal.sub,
        },
    )
    if ref.get("replayed"):
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/operator/reports/{ref['id']}"
    return ref


@router.get(
    "/reports/{report_id}",
    response_model=CaseView,
    responses=PROBLEMS,
    summary="Hồ sơ phản ánh / a case with its full timeline (no personal data)",
)
async def get_case(report_id: UUID, principal: Operator, rt: Runtime = Depends(runtime)) -> dict:
    return await call_intake(
        rt, "get_case", payload={"report_id": str(report_id), "actor": actor_payload(principal)}
    )


@router.get(
    "/reports/{report_id}/reporter",
    response_model=ReporterDisclosure,
    responses=PROBLEMS,
    summary="Thông tin người phản ánh / the sealed identity (each read is audited)",
)
async def read_reporter(
    report_id: UUID,
    principal: Operator,
    request: Request,
    purpose: Annotated[
        str, Query(min_length=3, max_length=200, description="Why you need it (kept in the audit log)")
    ],
    rt: Runtime = Depends(runtime),
) -> dict:
    purpose = purpose.strip()  # as intake reads it: the grant names this exact purpose
    grant = personal_data_grant(request, principal, "read_reporter", report_id=report_id, purpose=purpose)
    return await call_intake(
        rt,
        "read_reporter",
        payload={
            "report_id": str(report_id),
            "purpose": purpose,
            "actor": actor_payload(principal),
            "grant": grant,
        },
    )


@router.get(
    "/reports/{report_id}/audit",
    response_model=list[AuditEntry],
    responses=PROBLEMS,
    summary="Nhật ký truy cập dữ liệu cá nhân / who read this case's personal data",
)
async def audit(
    report_id: UUID,
    principal: Annotated[Principal, Depends(require("operator", "administrator"))],
    rt: Runtime = Depends(runtime),
) -> list:
    return await call_intake(
        rt, "list_audit", payload={"report_id": str(report_id), "actor": actor_payload(principal)}
    )


def _verb(path: str, model: type[BaseModel], summary: str, kind: str | None = None, body_model=None):
    """Register `POST /v1/operator/reports/{id}/<path>` for one verb."""
    body_type = body_model or model

    async def endpoint(
        report_id: UUID,
        body: body_type,
        principal: Operator,  # type: ignore[valid-type]
        rt: Runtime = Depends(runtime),
    ) -> dict:
        fields = body.model_dump(mode="json", exclude_unset=False)
        action = model.model_validate({**fields, **({"kind": kind} if kind else {})})
        return await staff_act(rt, report_id, principal, action)

    endpoint.__name__ = f"operator_{path.replace('/', '_').replace('-', '_')}"
    router.post(
        f"/reports/{{report_id}}/{path}", response_model=CaseView, responses=PROBLEMS, summary=summary
    )(endpoint)


_verb("accept", AcceptReport, "Tiếp nhận / accept (optionally fix category, ward, priority)")
_verb("request-info", RequestInfo, "Yêu cầu bổ sung / ask the citizen for more (the clock stops)")
_verb("reject", RejectReport, "Từ chối / reject with one of the workflow's reasons")
_verb("merge", MergeReport, "Gộp trùng lặp / merge into an existing case (its reporter follows it)")
_verb(
    "verify",
    VerifyReport,
    "Xác minh / verify a case routed unverified (a citizen's urgency): it becomes "
    "public; `priority` downgrades it",
)
_verb(
    "public-text",
    EditPublicText,
    "Sửa nội dung công khai / the public wording of the text and address (the "
    "original stays for the IOC; audited)",
)
_verb(
    "hide-media",
    HideMedia,
    "Ẩn ảnh/video / hide a file from everyone but the IOC (`hidden: false` shows it again; audited)",
)
_verb("reroute", RequestReroute, "Chuyển lại / ask routing to re-route (fix category/ward or name an agency)")
_verb(
    "extension/approve",
    DecideExtension,
    "Duyệt gia hạn / approve the extension",
    "approve_extension",
    NoteBody,
)
_verb(
    "extension/refuse",
    DecideExtension,
    "Không duyệt gia hạn / refuse the extension",
    "refuse_extension",
    NoteBody,
)
_verb("publish", ReviewResult, "Công khai kết quả / publish the result", "publish", NoteBody)
_verb("send-back", ReviewResult, "Yêu cầu xử lý lại / send the result back", "send_back", NoteBody)
_verb("reopen/approve", DecideReopen, "Mở lại / reopen the case", "approve_reopen", ReopenBody)
_verb("reopen/refuse", DecideReopen, "Không mở lại / refuse to reopen", "refuse_reopen", NoteBody)
