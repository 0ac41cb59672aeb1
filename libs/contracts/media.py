"""Commands and views of the media service.

Who sees what: operators get the unblurred renditions (metadata always stripped); everyone else gets the
public renditions (faces and operator-drawn regions blurred), and only once intake shows the report to the
public or the caller holds the report's tracking token. Originals are never served.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from .common import Actor, Contract
from .lifecycle import GrantToken
from .reports import ClientInfo

MediaState = Literal["pending", "ready", "rejected"]
MediaRole = Literal["evidence", "result"]
MediaKind = Literal["photo", "video"]
Token = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CreateUpload(Contract):
    """Ask for a presigned upload slot for one file of a report."""

    report_id: UUID
    content_type: Annotated[str, StringConstraints(max_length=100)] = Field(
        description="The client's claim: only picks the slot's size limit; the type is read from the bytes"
    )
    size: int = Field(gt=0)
    role: MediaRole = "evidence"
    actor: Actor | None = Field(None, description="The staff member uploading (None: a citizen)")


class ImportUrl(Contract):
    """Fetch a photo or video a partner named by URL (Open311 `media_url`) into the pipeline, as evidence."""

    report_id: UUID
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://")]


class UploadSlot(Contract):
    """Where to PUT the bytes, and until when."""

    media_id: UUID
    put_url: str
    expires_at: AwareDatetime
    max_size: int


class ConfirmUpload(Contract):
    """The bytes are in the slot: check and process them."""

    media_id: UUID
    actor: Actor | None = None
    tracking_token: Token | None = None
    client: ClientInfo | None = Field(None, description="The caller's IP: intake counts wrong tokens per IP")
    grant: GrantToken | None = Field(
        None,
        description="The gateway's grant for an operator's unblurred view "
        "(passed on to intake, which verifies and audits it)",
    )


class GetMedia(Contract):
    """Read one file (state, and read URLs for what the caller may see)."""

    media_id: UUID
    actor: Actor | None = None
    tracking_token: Token | None = None
    client: ClientInfo | None = Field(None, description="The caller's IP: intake counts wrong tokens per IP")
    grant: GrantToken | None = Field(
        None,
        description="The gateway's grant for an operator's unblurred view "
        "(passed on to intake, which verifies and audits it)",
    )


class ListMedia(Contract):
    """The files of a report, optionally only one role or state (e.g. ready `result` photos)."""

    report_id: UUID
    actor: Actor | None = None
    tracking_token: Token | None = None
    client: ClientInfo | None = Field(None, description="The caller's IP: intake counts wrong tokens per IP")
    role: MediaRole | None = None
    state: MediaState | None = None
    grant: GrantToken | None = Field(
        None,
        description="The gateway's grant for an operator's unblurred view "
        "(passed on to intake, which verifies and audits it)",
    )


class RedactRegion(Contract):
    """A rectangle an operator wants blurred, in pixels of the master or as fractions (`norm`) of its size."""

    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(gt=0)
    h: float = Field(gt=0)
    unit: Literal["px", "norm"] = "px"


class ReviewMedia(Contract):
    """An operator's review: regions to blur in the public photo (replacing earlier ones); release a video."""

    media_id: UUID
    actor: Actor
    regions: list[RedactRegion] | None = Field(None, max_length=50, description="Photos only; [] clears them")
    release_video: bool | None = Field(
        None,
        description="Videos only: the moving picture (faces are not blurred in it) may be shown publicly",
    )
    grant: GrantToken | None = Field(
        None,
        description="The gateway's grant for an operator's unblurred view "
        "(passed on to intake, which verifies and audits it)",
    )


class LocationHint(Contract):
    """A position found in the original's metadata, offered once to the uploader before it is stripped."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    source: Literal["exif_gps", "video_iso6709"]


class Rendition(Contract):
    """One derivative the caller may read, through a short-lived URL."""

    name: Literal["master", "card", "thumb", "video", "poster", "poster_thumb"]
    url: str
    content_type: str
    width: int
    height: int


class MediaView(Contract):
    """One stored file of a report."""

    id: UUID
    report_id: UUID
    state: MediaState
    content_type: str | None = Field(None, description="Detected from the bytes of the original")
    size: int | None
    role: str
    reject_reason: str | None = Field(None, description="An error code, e.g. UNSUPPORTED_MEDIA_TYPE")
    url: str | None = Field(
        None, description="Short-lived presigned GET URL of the main rendition, when ready"
    )
    created_at: AwareDatetime
    kind: MediaKind | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = Field(None, description="Seconds (videos)")
    processing: bool = Field(False, description="Uploaded and confirmed, still being processed (pending)")
    blurred: bool = Field(False, description="What this caller sees has faces or regions blurred")
    faces_found: int | None = Field(None, description="Operators only")
    video_public: bool | None = Field(
        None, description="Videos: whether the moving picture is shown publicly"
    )
    renditions: list[Rendition] = Field(default_factory=list)
    location_hint: LocationHint | None = Field(
        None, description="Only in the answer to the confirming uploader; never stored"
    )
    source_url: str | None = Field(
        None,
        description="Operators: the link a partner named (Open311 media_url), "
        "kept when it could not be fetched",
    )
