"""Use case: an operator's review — blur regions by hand in a public photo, or release a video's moving
picture.

Regions are kept on the file and the photo is processed again from its private original (automatic face
blurring plus the regions); the public renditions are replaced under new random keys and the old objects
removed, so a URL handed out before the redaction stops working when it expires at the latest.
"""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.media import ReviewMedia
from libs.platform.errors import ServiceError

from ..processing import MediaError, Region
from ..processing.errors import MediaProcessingFailed
from ..repository import media as repo
from .access import load, view
from .context import Media


def review_media(m: Media, cmd: ReviewMedia) -> dict:
    """Operators only; may raise FORBIDDEN, MEDIA_NOT_FOUND, MEDIA_NOT_READY, VALIDATION_FAILED."""
    if cmd.actor.role != "operator":
        raise ServiceError(ErrorCode.FORBIDDEN, "only IOC operators review media")
    row = load(m, cmd.media_id, lock=True)
    if row.state != "ready":
        raise ServiceError(ErrorCode.MEDIA_NOT_READY, f"media {row.id} is {row.state}")
    if cmd.regions is not None and row.kind != "photo":
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            "regions apply to photos",
            [{"field": "regions", "message": "only for photos", "type": "invalid"}],
        )
    if cmd.release_video is not None and row.kind != "video":
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            "release_video applies to videos",
            [{"field": "release_video", "message": "only for videos", "type": "invalid"}],
        )
    if cmd.release_video is not None:
        repo.update(m.db, row.id, video_public=cmd.release_video, updated_at=utcnow())
    if cmd.regions is not None:
        if row.original_deleted_at is not None:
            raise ServiceError(
                ErrorCode.VALIDATION_FAILED,
                "the original was deleted by the retention schedule",
                [
                    {
                        "field": "regions",
                        "message": "ảnh gốc đã được xoá theo thời hạn lưu trữ / the "
                        "original was deleted by the retention schedule",
                        "type": "original_deleted",
                    }
                ],
            )
        redact(m, row, [r.model_dump() for r in cmd.regions])
    m.db.commit()
    return view(m, load(m, row.id), "operator", actor=cmd.actor, grant=cmd.grant)


def redact(m: Media, row, regions: list[dict]) -> None:
    """Process the original again with the regions and swap the renditions (in the caller's transaction)."""
    try:
        outcome = m.pipeline().process(row.object_key, row.kind, [Region(**r) for r in regions], utcnow())
    except MediaProcessingFailed as exc:
        raise ServiceError(ErrorCode.MEDIA_PROCESSING_FAILED, exc.detail or "processing failed") from None
    except MediaError as exc:  # the original passed once; failing now means it changed or was removed
        raise ServiceError(
            ErrorCode.MEDIA_PROCESSING_FAILED, f"original no longer processable: {exc.code}"
        ) from None
    stale = repo.replace_renditions(m.db, row.id, outcome.renditions)
    repo.update(m.db, row.id, redactions=regions, faces_found=outcome.faces_found, updated_at=utcnow())
    m.db.commit()
    m.objects.delete_quietly(stale)
