"""Configurable limits and size guards that never buffer more than the limit."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field

from .errors import MediaEmpty, MediaTooLarge

MB = 1024 * 1024


class MediaLimits(BaseModel):
    """Every knob of the media core; frozen and picklable so it can cross the process pool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_photo_bytes: int = Field(15 * MB, gt=0)
    max_video_bytes: int = Field(100 * MB, gt=0)
    max_pixels: int = Field(40_000_000, gt=0)  # Pillow's own default warns at ~89 Mpx; ours is lower
    max_video_pixels: int = Field(4096 * 2160, gt=0)  # 4K DCI; a frame decodes to w*h*1.5 bytes
    max_video_seconds: float = Field(90.0, gt=0)
    # Progressive JPEGs from cameras and encoders have up to a few tens of scans (libjpeg's default script:
    # 10); each scan costs a pass over the whole image, so thousands of them are a CPU bomb.
    max_jpeg_scans: int = Field(64, gt=0)
    master_px: int = Field(2048, gt=0)
    card_px: int = Field(800, gt=0)
    thumb_px: int = Field(256, gt=0)
    jpeg_quality: int = Field(85, ge=30, le=95)
    blur_faces: bool = True
    video_max_px: int = Field(1280, gt=0)  # longest side of a transcoded rendition
    ffprobe_timeout_s: float = Field(20.0, gt=0)
    ffmpeg_timeout_s: float = Field(240.0, gt=0)
    # Address space of one ffmpeg/ffprobe run (RLIMIT_AS), below the worker's own cap: peaks of 660 MiB on the
    # corpus, under 1 GiB for a 4K HEVC source on 2 cores; decoder threads grow with cores
    # (docs/reliability.md).
    tool_memory_mb: int = Field(1536, gt=0)


def check_declared_length(length: int | None, max_bytes: int) -> None:
    """Refuse from a Content-Length (or file size) before reading anything; None means unknown."""
    if length is None:
        return
    if length == 0:
        raise MediaEmpty("zero-length upload")
    if length > max_bytes:
        raise MediaTooLarge(f"declared {length} bytes > {max_bytes}", limit_bytes=max_bytes)


def read_limited(chunks: Iterable[bytes], max_bytes: int) -> bytes:
    """Join chunks, raising MEDIA_TOO_LARGE as soon as the running total passes the limit."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:  # stop at once: the rest of the stream is never pulled
            raise MediaTooLarge(f"stream passed {max_bytes} bytes", limit_bytes=max_bytes)
        parts.append(chunk)
    if total == 0:
        raise MediaEmpty("empty stream")
    return b"".join(parts)


def copy_limited(chunks: Iterable[bytes], dest: BinaryIO, max_bytes: int) -> int:
    """Write chunks to an open file, raising MEDIA_TOO_LARGE once past the limit; returns the size."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise MediaTooLarge(f"stream passed {max_bytes} bytes", limit_bytes=max_bytes)
        dest.write(chunk)
    if total == 0:
        raise MediaEmpty("empty stream")
    return total


def spool_to_file(chunks: Iterable[bytes], path: str, max_bytes: int) -> int:
    """Stream chunks into a new private file (mode 0600); the partial file is removed on any error."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as dest:
            return copy_limited(chunks, dest, max_bytes)
    except BaseException:
        os.unlink(path)
        raise
