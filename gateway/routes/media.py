"""Photos and videos of a report: presigned uploads for mobile clients, or a streamed upload through here."""
from __future__ import annotations

from typing import Annotated
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, Field

from libs.contracts.errors import ErrorCode
from libs.contracts.media import MediaView, UploadSlot

from ..deps import Runtime, runtime
from ..problems import ApiError
from .reports import PROBLEMS

router = APIRouter(prefix="/v1", tags=["media"])
CHUNK = 256 * 1024


class UploadRequest(BaseModel):
    """A mobile client's request for an upload slot."""

    content_type: str = Field(max_length=100)
    size: int = Field(gt=0)


async def _report_exists(rt: Runtime, report_id: UUID) -> None:
    await rt.rpc.call("intake", "get_report", payload={"report_id": str(report_id)})  # may raise 404


@router.post("/reports/{report_id}/uploads", status_code=201, response_model=UploadSlot, responses=PROBLEMS,
             summary="Xin URL tải lên / get a presigned upload URL (then PUT the bytes and confirm)")
async def create_upload(report_id: UUID, body: UploadRequest, rt: Runtime = Depends(runtime)) -> dict:
    await _report_exists(rt, report_id)
    return await rt.rpc.call("media", "create_upload", payload={"report_id": str(report_id), **body.model_dump()})


@router.post("/media/{media_id}/confirm", response_model=MediaView, responses=PROBLEMS,
             summary="Xác nhận tải lên / check the uploaded bytes")
async def confirm_upload(media_id: UUID, rt: Runtime = Depends(runtime)) -> dict:
    return _accepted_or_error(await rt.rpc.call("media", "confirm_upload", media_id=str(media_id)))


@router.post("/reports/{report_id}/media", status_code=201, response_model=MediaView, responses=PROBLEMS,
             summary="Tải ảnh lên / upload a photo (multipart field `file`)")
async def upload(report_id: UUID, request: Request, file: Annotated[UploadFile, File()],
                 rt: Runtime = Depends(runtime)) -> dict:
    length = int(request.headers.get("content-length") or 0)
    if length > rt.settings.max_upload_bytes + 64 * 1024:
        raise ApiError(ErrorCode.MEDIA_TOO_LARGE, f"at most {rt.settings.max_upload_bytes} bytes",
                       [{"field": "file", "message": "too large", "type": "too_large"}])
    await _report_exists(rt, report_id)
    slot = await rt.rpc.call("media", "create_upload", payload={
        "report_id": str(report_id), "content_type": file.content_type or "application/octet-stream",
        "size": file.size or 1})

    async def chunks():
        while data := await file.read(CHUNK):
            yield data

    try:
        put = await rt.http.put(slot["put_url"], content=chunks(), headers={"Content-Length": str(file.size)})
    except httpx.HTTPError as exc:
        raise ApiError(ErrorCode.UPSTREAM_UNAVAILABLE, f"object store unreachable: {exc}") from exc
    if put.status_code >= 300:
        raise ApiError(ErrorCode.UPSTREAM_UNAVAILABLE, f"object store refused the upload ({put.status_code})")
    return _accepted_or_error(await rt.rpc.call("media", "confirm_upload", media_id=slot["media_id"]))


def _accepted_or_error(view: dict) -> dict:
    if view["state"] == "rejected":
        code = ErrorCode(view["reject_reason"]) if view["reject_reason"] in ErrorCode._value2member_map_ \
            else ErrorCode.MEDIA_REJECTED
        raise ApiError(code, f"media {view['id']} rejected",
                       [{"field": "file", "message": view["reject_reason"] or "rejected", "type": "media"}])
    return view


@router.get("/reports/{report_id}/media", response_model=list[MediaView], responses=PROBLEMS,
            summary="Ảnh/video của phản ánh / the report's media")
async def list_media(report_id: UUID, rt: Runtime = Depends(runtime)) -> list:
    await _report_exists(rt, report_id)
    return await rt.rpc.call("media", "list_media", report_id=str(report_id))
