"""Face detection with OpenCV's bundled Haar cascades and irreversible region blurring."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
from PIL import Image, ImageFilter
from pydantic import BaseModel, ConfigDict, Field

from .results import Box

_DETECT_PX = 1024  # detection runs on a copy this size: fast, and finds faces >= ~40 px in a master
_CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml")


class Region(BaseModel):
    """An operator-drawn rectangle to redact, in pixels or as fractions (0..1) of the image size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(gt=0)
    h: float = Field(gt=0)
    unit: Literal["px", "norm"] = "px"

    def to_box(self, width: int, height: int) -> Box:
        """Pixel box in an image of the given size, clipped to its bounds."""
        sx, sy = (width, height) if self.unit == "norm" else (1, 1)
        x0, y0 = int(self.x * sx), int(self.y * sy)
        x1, y1 = int(round((self.x + self.w) * sx)), int(round((self.y + self.h) * sy))
        x0, y0 = min(x0, width), min(y0, height)
        return Box(x0, y0, max(0, min(x1, width) - x0), max(0, min(y1, height) - y0))


@functools.cache
def _classifiers() -> tuple:
    """Load the cascades shipped inside the opencv wheel once per process (no downloads)."""
    import cv2  # heavy import: only in processes that detect faces

    loaded = tuple(cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in _CASCADES)
    if any(c.empty() for c in loaded):  # a broken install must not silently skip blurring
        raise RuntimeError("OpenCV Haar cascades are missing from the opencv wheel")
    return loaded


def detect_faces(image: Image.Image) -> list[Box]:
    """Faces (frontal, and profile facing either way) as pixel boxes in `image`."""
    import cv2

    scale = min(1.0, _DETECT_PX / max(image.size))
    small = image.convert("L")
    if scale < 1.0:
        small = small.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    gray = cv2.equalizeHist(np.asarray(small))
    frontal, profile = _classifiers()
    found = [tuple(r) for r in frontal.detectMultiScale(gray, 1.1, 5, minSize=(20, 20))]
    found += [tuple(r) for r in profile.detectMultiScale(gray, 1.1, 5, minSize=(20, 20))]
    flipped = np.ascontiguousarray(gray[:, ::-1])
    found += [
        (gray.shape[1] - x - w, y, w, h)
        for x, y, w, h in profile.detectMultiScale(flipped, 1.1, 5, minSize=(20, 20))
    ]
    return _dedupe(
        [Box(int(x / scale), int(y / scale), int(w / scale), int(h / scale)) for x, y, w, h in found]
    )


def _dedupe(boxes: list[Box]) -> list[Box]:
    """Drop boxes mostly inside an already kept one (the same face seen by two cascades)."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: -b.w * b.h):
        if not any(_overlap(box, k) > 0.5 * box.w * box.h for k in kept):
            kept.append(box)
    return kept


def _overlap(a: Box, b: Box) -> int:
    """Intersection area of two boxes."""
    dx = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    dy = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(0, dx) * max(0, dy)


def _grow(box: Box, width: int, height: int, margin: float) -> Box:
    """Enlarge a box by `margin` of its size on each side (hair, ears), clipped to the image."""
    mx, my = int(box.w * margin), int(box.h * margin)
    x0, y0 = max(0, box.x - mx), max(0, box.y - my)
    x1, y1 = min(width, box.x + box.w + mx), min(height, box.y + box.h + my)
    return Box(x0, y0, x1 - x0, y1 - y0)


def blur_boxes(image: Image.Image, boxes: Iterable[Box], margin: float = 0.2) -> Image.Image:
    """Copy of `image` with each box pixelated then Gaussian-blurred (not recoverable by sharpening)."""
    out = image.copy()
    for raw in boxes:
        box = _grow(raw, image.width, image.height, margin)
        if box.w < 2 or box.h < 2:
            continue
        area = (box.x, box.y, box.x + box.w, box.y + box.h)
        patch = out.crop(area)
        cells = (min(box.w, 8), min(box.h, 8))  # 8x8 blocks: identity gone
        patch = patch.resize(cells, Image.Resampling.BOX).resize(patch.size, Image.Resampling.NEAREST)
        patch = patch.filter(ImageFilter.GaussianBlur(radius=max(4, min(box.w, box.h) // 10)))
        out.paste(patch, area[:2])
    return out


def redact(image: Image.Image, regions: Sequence[Region]) -> Image.Image:
    """Blur operator-given regions (pixel or normalised coordinates of `image`), no margin added."""
    return blur_boxes(image, [r.to_box(image.width, image.height) for r in regions], margin=0.0)
