"""Plain, picklable result types returned by the photo and video pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class LocationHint:
    """Decimal WGS84 position read from the original's metadata; for the reporter only, never published."""

    lat: float
    lon: float
    source: Literal["exif_gps", "video_iso6709"]


@dataclass(frozen=True, slots=True)
class Derivative:
    """One stored rendition: bytes (photos) or a file path (videos), with its type and audience."""

    body: bytes | Path
    content_type: str
    width: int
    height: int
    public: bool  # False: operators only (unblurred faces)


@dataclass(frozen=True, slots=True)
class Box:
    """A pixel rectangle (x, y, width, height) in a given image."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class MediaResult:
    """Outcome of processing one upload; `derivatives` maps a name to its rendition.

    Photos: `master`, `card`, `thumb` (operators only, faces visible) and `public_master`,
    `public_card`, `public_thumb` (faces and redactions blurred). Videos: `video`, `poster`,
    `poster_thumb`; their files live in `output_dir`, which the caller deletes after upload.
    """

    kind: Literal["photo", "video"]
    mime: str
    width: int
    height: int
    duration: float | None = None
    derivatives: dict[str, Derivative] = field(default_factory=dict)
    location_hint: LocationHint | None = None
    faces_found: int = 0
    output_dir: Path | None = None

    def public_derivatives(self) -> dict[str, Derivative]:
        """Only the renditions safe to show the public and agencies."""
        return {k: d for k, d in self.derivatives.items() if d.public}


PhotoResult = MediaResult
VideoResult = MediaResult
