"""The media service's knobs, read once from its config (config.yml, `${VAR:default}`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .processing import MediaLimits

MB = 1024 * 1024


class MediaSettings(BaseModel):
    """Limits, time budgets, retry policy and pool size; frozen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limits: MediaLimits = MediaLimits()
    max_per_report: int = Field(6, gt=0)
    upload_ttl: timedelta = timedelta(minutes=15)  # presigned PUT validity
    expire_grace: timedelta = timedelta(minutes=15)  # unconfirmed slots are swept after ttl + grace
    attach_ttl: timedelta = timedelta(hours=24)  # ready files whose report intake never knew are swept after
    get_url_ttl: timedelta = timedelta(minutes=10)  # presigned GET validity: short-lived
    originals_after_close: timedelta = timedelta(
        days=90
    )  # retention: originals deleted this long after closing
    max_attempts: int = Field(5, gt=0)
    retry_base: timedelta = timedelta(seconds=5)
    retry_cap: timedelta = timedelta(minutes=10)
    photo_timeout_s: float = Field(60.0, gt=0)
    video_check_timeout_s: float = Field(60.0, gt=0)
    video_timeout_s: float = Field(900.0, gt=0)
    intake_timeout_s: float = Field(3.0, gt=0)
    pool_workers: int = Field(2, gt=0)
    pool_tasks_per_child: int = Field(50, gt=0)
    pool_memory_mb: int = Field(3072, gt=0)
    pool_cpu_s: int = Field(
        120, gt=0
    )  # CPU seconds one task may use in a worker (a CPU bomb ends the worker)
    fetch_timeout_s: float = Field(20.0, gt=0)  # a photo named by URL (Open311 media_url): the whole fetch
    fetch_max_redirects: int = Field(3, ge=0)
    fetch_allow_hosts: frozenset[str] = frozenset()  # exempt from the public-address rule: local tests only

    @property
    def max_slot_bytes(self) -> int:
        """The largest file any slot may hold (a video's limit)."""
        return max(self.limits.max_photo_bytes, self.limits.max_video_bytes)

    def slot_limit(self, declared_type: str) -> int:
        """A slot's size limit from the client's claim; the bytes decide again at confirmation."""
        return (
            self.limits.max_video_bytes
            if declared_type.lower().startswith("video/")
            else self.limits.max_photo_bytes
        )

    def lease(self, kind: str) -> timedelta:
        """How long a processing attempt may hold a file before another instance may take it over."""
        budget = self.video_timeout_s if kind == "video" else self.photo_timeout_s
        return timedelta(seconds=budget + 30)


def _get(cfg: Mapping[str, Any], key: str, default: Any) -> Any:
    value = cfg.get(key)
    return default if value in (None, "") else value


def from_config(cfg: Mapping[str, Any]) -> MediaSettings:
    """Settings from a nameko config dict; may raise pydantic's ValidationError or ValueError."""
    seconds = lambda key, default: timedelta(seconds=float(_get(cfg, key, default)))  # noqa: E731
    limits = MediaLimits(
        max_photo_bytes=int(_get(cfg, "MEDIA_MAX_PHOTO_BYTES", 15 * MB)),
        max_video_bytes=int(_get(cfg, "MEDIA_MAX_VIDEO_BYTES", 100 * MB)),
        max_video_seconds=float(_get(cfg, "MEDIA_MAX_VIDEO_SECONDS", 90)),
        max_pixels=int(_get(cfg, "MEDIA_MAX_PIXELS", 40_000_000)),
        blur_faces=str(_get(cfg, "MEDIA_BLUR_FACES", "true")).lower() not in ("0", "false", "no"),
    )
    return MediaSettings(
        limits=limits,
        max_per_report=int(_get(cfg, "MEDIA_MAX_PER_REPORT", 6)),
        upload_ttl=seconds("MEDIA_UPLOAD_TTL_S", 900),
        expire_grace=seconds("MEDIA_EXPIRE_GRACE_S", 900),
        attach_ttl=seconds("MEDIA_ATTACH_TTL_S", 86_400),
        get_url_ttl=seconds("MEDIA_GET_URL_TTL_S", 600),
        originals_after_close=timedelta(days=float(_get(cfg, "RETENTION_ORIGINALS_DAYS", 90))),
        max_attempts=int(_get(cfg, "MEDIA_MAX_ATTEMPTS", 5)),
        retry_base=seconds("MEDIA_RETRY_BASE_S", 5),
        retry_cap=seconds("MEDIA_RETRY_CAP_S", 600),
        photo_timeout_s=float(_get(cfg, "MEDIA_PHOTO_TIMEOUT_S", 60)),
        video_timeout_s=float(_get(cfg, "MEDIA_VIDEO_TIMEOUT_S", 900)),
        intake_timeout_s=float(_get(cfg, "MEDIA_INTAKE_TIMEOUT_S", 3)),
        pool_workers=int(_get(cfg, "MEDIA_POOL_WORKERS", 2)),
        pool_tasks_per_child=int(_get(cfg, "MEDIA_POOL_TASKS_PER_CHILD", 50)),
        pool_memory_mb=int(_get(cfg, "MEDIA_POOL_MEMORY_MB", 3072)),
        pool_cpu_s=int(_get(cfg, "MEDIA_POOL_CPU_S", 120)),
        fetch_timeout_s=float(_get(cfg, "MEDIA_FETCH_TIMEOUT_S", 20)),
        fetch_max_redirects=int(_get(cfg, "MEDIA_FETCH_MAX_REDIRECTS", 3)),
        fetch_allow_hosts=frozenset(
            h.strip().lower() for h in str(_get(cfg, "MEDIA_FETCH_ALLOW_HOSTS", "")).split(",") if h.strip()
        ),
    )
