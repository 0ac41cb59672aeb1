"""Rows → `MediaView`: what one caller may see, with short-lived presigned read URLs."""

from __future__ import annotations

from collections.abc import Callable

from libs.contracts.media import LocationHint, MediaView, Rendition

from .policy import Audience, blurred_for, main_rendition, visible

Presign = Callable[[str], str]  # object key → short-lived GET URL


def media_view(
    row, stored: list, audience: Audience | None, presign: Presign, hint: LocationHint | None = None
) -> MediaView:
    """One file as `audience` sees it; read URLs only when ready (originals are never presigned)."""
    shown = (
        visible(stored, audience, bool(row.video_public), bool(row.hidden)) if row.state == "ready" else []
    )
    items = [
        Rendition(
            name=r.name,
            url=presign(r.object_key),
            content_type=r.content_type,
            width=r.width,
            height=r.height,
        )
        for r in shown
    ]
    main = main_rendition(i.name for i in items)
    operator = audience == "operator"
    return MediaView(
        id=row.id,
        report_id=row.report_id,
        state=row.state,
        content_type=row.content_type,
        size=row.size,
        role=row.role,
        reject_reason=row.reject_reason,
        created_at=row.created_at,
        url=next((i.url for i in items if i.name == main), None),
        kind=row.kind,
        width=row.width,
        height=row.height,
        duration=row.duration,
        processing=row.state == "pending" and row.confirmed_at is not None,
        blurred=blurred_for(audience, row.faces_found, row.redactions or []),
        faces_found=row.faces_found if operator else None,
        video_public=bool(row.video_public) if row.kind == "video" and row.state == "ready" else None,
        renditions=items,
        location_hint=hint,
        source_url=getattr(row, "source_url", None) if operator else None,
    )
