"""IOC operators review media before the public sees it: blur regions by hand, release a video with faces."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from libs.auth.tokens import Principal
from libs.contracts.media import MediaView, RedactRegion

from ..auth import actor_payload, personal_data_grant, require
from ..calls import PROBLEMS
from ..deps import Runtime, runtime
from ..uploads import upload_settings

router = APIRouter(prefix="/v1/operator", tags=["media"])
Operator = Annotated[Principal, Depends(require("operator"))]


class MediaReview(BaseModel):
    """What the operator decided (each part optional)."""

    regions: list[RedactRegion] | None = Field(
        None,
        max_length=50,
        description="Photos: regions to blur publicly, replacing earlier ones ([] clears them)",
    )
    release_video: bool | None = Field(
        None,
        description="Videos: show the moving picture publicly (its faces "
        "are not blurred; only the poster is)",
    )


@router.post(
    "/media/{media_id}/review",
    response_model=MediaView,
    responses=PROBLEMS,
    summary="Che vùng ảnh / công khai video — redact regions of a photo, release a video",
)
async def review_media(
    media_id: UUID, body: MediaReview, principal: Operator, request: Request, rt: Runtime = Depends(runtime)
) -> dict:
    return await rt.rpc.call(
        "media",
        "review_media",
        timeout=upload_settings().confirm_timeout_s,
        payload={
            "media_id": str(media_id),
            "actor": actor_payload(principal),
            **body.model_dump(mode="json"),
            "grant": personal_data_grant(request, principal, "view_media", media_id=media_id),
        },
    )
