"""Photos and videos of a report: presigned uploads for mobile clients, or a streamed upload through here.

Reads return short-lived URLs of what the caller may see: operators (bearer token) the unblurred renditions,
everyone else the public (blurred) ones once the report is public, or with the report's `X-Tracking-Token`.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from libs.auth.tokens import Principal
from libs.contracts.errors import ErrorCode, Problem
from libs.contracts.media import MediaView, UploadSlot

from ..auth import actor_payload, optional_principal, personal_data_grant
from ..calls import PROBLEMS, call_intake, call_media, client_info
from ..deps import Runtime, runtime
from ..problems import ApiError
from ..uploads import (
    accepted_or_problem,
    check_headers,
    evidence_refused,
    receive_file,
    store_file,
    upload_settings,
)

router = APIRouter(prefix="/v1", tags=["media"])
UPLOAD_PROBLEMS = {
    **PROBLEMS,
    **{code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (410, 413, 415)},
}
TrackingToken = Annotated[
    str | None,
    Header(alias="X-Tracking-Token", max_length=200, description="The report's private tracking token"),
]
Staff = Annotated[Principal | None, Depends(optional_principal)]
MULTIPART_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "JPEG, PNG, WebP, HEIC photo or MP4, MOV, WebM video",
                        }
                    },
                }
            }
        },
    }
}


class UploadRequest(BaseModel):
    """A mobile client's request for an upload slot."""

    content_type: str = Field(
        max_length=100,
        description="What the client believes it sends (only picks the "
        "size limit: the type is read from the bytes)",
    )
    size: int = Field(gt=0)
    role: Literal["evidence", "result"] = "evidence"


async def _report_exists(rt: Runtime, request: Request, report_id: UUID, token: str | None = None) -> None:
    await call_intake(
        rt,
        "get_report",
        payload={"report_id": str(report_id), "tracking_token": token, "client": client_info(request)},
    )


async def _may_upload(
    rt: Runtime,
    request: Request,
    report_id: UUID,
    principal: Principal | None,
    role: str,
    tracking_token: str | None,
) -> None:
    """The reporter (with the tracking token) adds evidence; after-photos (`result`) come from staff.

    Without the right token a citizen gets the 404 of an unknown report: nobody can fill someone else's
    report with files (or use up its slots).
    """
    if principal is None:
        if role != "evidence":
            raise ApiError(
                ErrorCode.FORBIDDEN,
                "after-photos are uploaded by the agency or an operator",
                [{"field": "role", "message": "staff only", "type": "forbidden"}],
            )
        view = await call_intake(
            rt,
            "get_report",
            payload={
                "report_id": str(report_id),
                "tracking_token": tracking_token,
                "client": client_info(request),
            },
        )
        if view.get("own") is not True:
            raise ApiError(
                ErrorCode.REPORT_NOT_FOUND,
                f"no report {report_id} for this tracking token",
                [
                    {
                        "field": "X-Tracking-Token",
                        "message": "the report's tracking token is required",
                        "type": "tracking_token",
                    }
                ],
            )
    elif role == "evidence" and principal.role != "operator":
        raise evidence_refused()
    elif principal.role == "operator":
        await _report_exists(rt, request, report_id)
    # agencies' after-photos: the media service asks intake whether they hold the case now (404 otherwise)


@router.post(
    "/reports/{report_id}/uploads",
    status_code=201,
    response_model=UploadSlot,
    responses=UPLOAD_PROBLEMS,
    summary="Xin URL tải lên / get a presigned upload URL (then PUT the bytes and confirm)",
)
async def create_upload(
    report_id: UUID,
    body: UploadRequest,
    request: Request,
    principal: Staff,
    tracking_token: TrackingToken = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    await _may_upload(rt, request, report_id, principal, body.role, tracking_token)
    return await rt.rpc.call(
        "media",
        "create_upload",
        payload={"report_id": str(report_id), **body.model_dump(), "actor": actor_payload(principal)},
    )


@router.post(
    "/media/{media_id}/confirm",
    response_model=MediaView,
    responses=UPLOAD_PROBLEMS,
    summary="Xác nhận tải lên / check and process the uploaded bytes (202 while a video renders)",
)
async def confirm_upload(
    media_id: UUID,
    request: Request,
    response: Response,
    principal: Staff,
    tracking_token: TrackingToken = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    view = await call_media(
        rt,
        "confirm_upload",
        timeout=upload_settings().confirm_timeout_s,
        payload={
            "media_id": str(media_id),
            "actor": actor_payload(principal),
            "tracking_token": tracking_token,
            "client": client_info(request),
            "grant": personal_data_grant(request, principal, "view_media", media_id=media_id),
        },
    )
    response.status_code = 202 if view["state"] == "pending" else 200
    return accepted_or_problem(view)


@router.post(
    "/reports/{report_id}/media",
    status_code=201,
    response_model=MediaView,
    responses=UPLOAD_PROBLEMS,
    openapi_extra=MULTIPART_DOC,
    summary="Tải ảnh/video lên / upload a photo or video (multipart field `file`, streamed)",
)
async def upload(
    report_id: UUID,
    request: Request,
    response: Response,
    principal: Staff,
    tracking_token: TrackingToken = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    check_headers(request, "file")  # 413 before anything is read when Content-Length is too big
    await _may_upload(rt, request, report_id, principal, "evidence", tracking_token)
    received = await receive_file(
        request, "file"
    )  # counts while streaming: 413 as soon as it passes the limit
    view = await store_file(
        rt,
        report_id,
        received,
        actor=actor_payload(principal),
        tracking_token=tracking_token,
        grant=personal_data_grant(request, principal, "view_media", report_id=report_id),
    )
    if view["state"] == "pending":
        response.status_code = 202
    return view


@router.get(
    "/reports/{report_id}/media",
    response_model=list[MediaView],
    responses=PROBLEMS,
    summary="Ảnh/video của phản ánh / the report's media (URLs of what the caller may see)",
)
async def list_media(
    report_id: UUID,
    request: Request,
    principal: Staff,
    tracking_token: TrackingToken = None,
    role: Annotated[Literal["evidence", "result"] | None, Query()] = None,
    state: Annotated[Literal["pending", "ready", "rejected"] | None, Query()] = None,
    rt: Runtime = Depends(runtime),
) -> list:
    await _report_exists(rt, request, report_id, tracking_token)
    return await call_media(
        rt,
        "list_media",
        payload={
            "report_id": str(report_id),
            "actor": actor_payload(principal),
            "tracking_token": tracking_token,
            "client": client_info(request),
            "role": role,
            "state": state,
            "grant": personal_data_grant(request, principal, "view_media", report_id=report_id),
        },
    )


@router.get(
    "/media/{media_id}",
    response_model=MediaView,
    responses=PROBLEMS,
    summary="Một tệp / one file (follow a video while it renders)",
)
async def get_media(
    media_id: UUID,
    request: Request,
    principal: Staff,
    tracking_token: TrackingToken = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    return await call_media(
        rt,
        "get_media",
        payload={
            "media_id": str(media_id),
            "actor": actor_payload(principal),
            "tracking_token": tracking_token,
            "client": client_info(request),
            "grant": personal_data_grant(request, principal, "view_media", media_id=media_id),
        },
    )
