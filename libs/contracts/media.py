"""Commands and views of the media service."""
from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from .common import Contract

MediaState = Literal["pending", "ready", "rejected"]


class CreateUpload(Contract):
    """Ask for a presigned upload slot for one file of a report."""

    report_id: UUID
    content_type: Annotated[str, StringConstraints(max_length=100)]
    size: int = Field(gt=0)
    role: Literal["evidence", "result"] = "evidence"


class UploadSlot(Contract):
    """Where to PUT the bytes, and until when."""

    media_id: UUID
    put_url: str
    expires_at: AwareDatetime
    max_size: int


class MediaView(Contract):
    """One stored file of a report."""

    id: UUID
    report_id: UUID
    state: MediaState
    content_type: str | None
    size: int | None
    role: str
    reject_reason: str | None = None
    url: str | None = Field(None, description="Short-lived presigned GET URL, when ready")
    created_at: AwareDatetime
