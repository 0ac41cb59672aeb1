"""From a private original to stored renditions: check, spool, process in the pool, store under random keys.

Ports, not frameworks: `objects` is the bucket (`MediaObjects`), `engine` the CPU-heavy work (the process
pool by default). The caller (the service) turns outcomes into state: a `MediaError` other than
MEDIA_PROCESSING_FAILED is the file's fault (reject it); MEDIA_PROCESSING_FAILED is ours (retry later).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from secrets import token_hex
from typing import Protocol

from ..domain.policy import Planned, plan_renditions
from ..processing import (
    LocationHint,
    MediaError,
    MediaLimits,
    MediaResult,
    Probe,
    Region,
    Sniffed,
    inspect_video_in_pool,
    process_photo_file_in_pool,
    process_video_in_pool,
    sniff,
)
from ..processing.errors import MediaEmpty, MediaProcessingFailed, MediaTooLarge
from ..processing.sniff import SNIFF_BYTES
from ..settings import MediaSettings


def new_key(prefix: str, now: datetime) -> str:
    """A random object key (never anything the client sent)."""
    return f"{prefix}/{now:%Y/%m}/{token_hex(16)}"


class MediaObjects(Protocol):
    """The bucket operations processing needs (`store.MinioMediaObjects` implements them)."""

    def get(self, key: str, length: int | None = None) -> bytes: ...
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def put_file(self, key: str, path: str, content_type: str) -> int: ...
    def spool(self, key: str, path: str, max_bytes: int) -> int: ...
    def delete_quietly(self, keys: Iterable[str]) -> None: ...


class Engine(Protocol):
    """The CPU-heavy steps (run in worker processes)."""

    def photo(
        self, path: str, limits: MediaLimits, regions: Sequence[Region], timeout: float
    ) -> MediaResult: ...
    def video(self, path: str, limits: MediaLimits, out_dir: str, timeout: float) -> MediaResult: ...
    def inspect_video(self, path: str, limits: MediaLimits, timeout: float) -> tuple[Sniffed, Probe]: ...


class PoolEngine:
    """The process pool of `processing.pool` (green waits under eventlet: the hub keeps running)."""

    def photo(self, path, limits, regions, timeout):
        return process_photo_file_in_pool(path, limits, regions, timeout=timeout)

    def video(self, path, limits, out_dir, timeout):
        return process_video_in_pool(path, limits, out_dir, timeout=timeout)

    def inspect_video(self, path, limits, timeout):
        return inspect_video_in_pool(path, limits, timeout=timeout)


@dataclass(frozen=True, slots=True)
class StoredRendition:
    """A derivative written to the bucket."""

    name: str
    audience: str
    object_key: str
    content_type: str
    width: int
    height: int
    size: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What processing found and stored."""

    kind: str
    mime: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    faces_found: int = 0
    location_hint: LocationHint | None = None
    renditions: list[StoredRendition] = field(default_factory=list)


class Pipeline:
    """One file's journey; every method may raise a MediaError."""

    def __init__(
        self,
        objects: MediaObjects,
        settings: MediaSettings,
        engine: Engine | None = None,
        tmp_root: str | None = None,
    ):
        self.objects, self.settings = objects, settings
        self.engine = engine or PoolEngine()
        self.tmp_root = tmp_root

    @property
    def limits(self) -> MediaLimits:
        return self.settings.limits

    def precheck(self, object_key: str, size: int) -> Sniffed:
        """Refuse from the size and the first bytes alone (no download, no decoding)."""
        if size <= 0:
            raise MediaEmpty("zero-length upload")
        if size > self.settings.max_slot_bytes:
            raise MediaTooLarge(f"{size} bytes", limit_bytes=self.settings.max_slot_bytes)
        head = self._store(lambda: self.objects.get(object_key, length=SNIFF_BYTES))
        sniffed = sniff(head)  # may raise UNSUPPORTED_MEDIA_TYPE
        limit = self.limits.max_video_bytes if sniffed.kind == "video" else self.limits.max_photo_bytes
        if size > limit:
            raise MediaTooLarge(f"{size} bytes > {limit} for a {sniffed.kind}", limit_bytes=limit)
        return sniffed

    def inspect_video(self, object_key: str) -> Outcome:
        """The quick video checks (container, ffprobe, pixels, duration): a bad video is refused at once."""
        with self._workdir() as work:
            path = self._spool(object_key, work)
            sniffed, probe = self.engine.inspect_video(path, self.limits, self.settings.video_check_timeout_s)
        return Outcome(
            "video",
            sniffed.mime,
            probe.width,
            probe.height,
            probe.duration,
            location_hint=probe.location_hint,
        )

    def process(self, object_key: str, kind: str, regions: Sequence[Region], now: datetime) -> Outcome:
        """Download, process in the pool, store every rendition under a new random key."""
        with self._workdir() as work:
            path = self._spool(object_key, work)
            if kind == "video":
                result = self.engine.video(
                    path, self.limits, str(Path(work) / "out"), self.settings.video_timeout_s
                )
            else:
                result = self.engine.photo(path, self.limits, regions, self.settings.photo_timeout_s)
            stored = self._store_all(plan_renditions(result.derivatives), now)
        return Outcome(
            result.kind,
            result.mime,
            result.width,
            result.height,
            result.duration,
            result.faces_found,
            result.location_hint,
            stored,
        )

    def _spool(self, object_key: str, work: str) -> str:
        path = str(Path(work) / "original")
        self._store(lambda: self.objects.spool(object_key, path, self.settings.max_slot_bytes))
        return path

    def _store_all(self, planned: list[Planned], now: datetime) -> list[StoredRendition]:
        """Upload each planned rendition; on failure remove what was written and raise (retry later)."""
        stored: list[StoredRendition] = []
        try:
            for item in planned:
                stored.append(self._store(lambda item=item: self._put(item, now)))
        except BaseException:
            self.objects.delete_quietly(s.object_key for s in stored)
            raise
        return stored

    def _put(self, item: Planned, now: datetime) -> StoredRendition:
        d, key = item.derivative, new_key("renditions", now)
        if isinstance(d.body, Path):
            size = self.objects.put_file(key, str(d.body), d.content_type)
        else:
            self.objects.put(key, d.body, d.content_type)
            size = len(d.body)
        return StoredRendition(item.name, item.audience, key, d.content_type, d.width, d.height, size)

    @staticmethod
    def _store(op):
        """Run a bucket operation; a store failure is ours (MEDIA_PROCESSING_FAILED), not the file's."""
        try:
            return op()
        except MediaError:
            raise
        except Exception as exc:  # S3Error, connection refused, timeout...
            raise MediaProcessingFailed(f"object store: {type(exc).__name__}") from exc

    def _workdir(self) -> tempfile.TemporaryDirectory:
        """A private (0700) scratch directory, removed with everything in it."""
        return tempfile.TemporaryDirectory(prefix="media-", dir=self.tmp_root, ignore_cleanup_errors=True)
