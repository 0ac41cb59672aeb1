"""Faces are blurred in public derivatives only; operator regions are redacted."""

import io
import random

import numpy as np
import pytest
from PIL import Image

from services.media.processing import MediaLimits, Region, process_photo
from services.media.processing.faces import detect_faces
from services.media.processing.results import Box
from services.media.tests.unit import hostile


def pixels(body: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(body)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def detail(area: np.ndarray) -> float:
    """Mean absolute difference between horizontal neighbours: high for sharp content."""
    return float(np.abs(np.diff(area, axis=1)).mean())


@pytest.fixture(scope="module")
def face_case():
    center = (random.randint(330, 420), random.randint(380, 420))
    data = hostile.face_photo(size=(1200, 800), face_px=320, at=center)
    return center, data, process_photo(data)


def test_the_drawn_face_is_detected_where_it_was_drawn(face_case):
    (cx, cy), data, result = face_case
    assert result.faces_found >= 1
    with Image.open(io.BytesIO(data)) as image:
        boxes = detect_faces(image.convert("RGB"))
    assert any(b.x < cx < b.x + b.w and b.y < cy < b.y + b.h for b in boxes)


def test_public_face_is_blurred_and_the_rest_nearly_unchanged(face_case):
    (cx, cy), _, result = face_case
    operator, public = (
        pixels(result.derivatives["master"].body),
        pixels(result.derivatives["public_master"].body),
    )
    diff = np.abs(operator - public).mean(axis=2)
    face = diff[cy - 100 : cy + 100, cx - 80 : cx + 80]
    assert face.mean() > 20  # eyes, brows and mouth are gone
    far = np.ones(diff.shape, bool)
    far[max(0, cy - 340) : cy + 340, max(0, cx - 340) : cx + 340] = False  # generous margin around the face
    assert diff[far].mean() < 1.5 and np.percentile(diff[far], 99) < 12
    eye_row = operator[cy - 32, cx - 60 : cx + 60].mean()
    assert eye_row < 110  # the operator master still shows the dark eyes


def test_all_public_sizes_are_blurred(face_case):
    _, _, result = face_case
    for name in ("card", "thumb"):
        operator = pixels(result.derivatives[name].body)
        public = pixels(result.derivatives["public_" + name].body)
        assert np.abs(operator - public).mean() > 1.0
        assert result.derivatives["public_" + name].public and not result.derivatives[name].public


def test_blurring_can_be_switched_off_by_configuration(face_case):
    _, data, _ = face_case
    result = process_photo(data, MediaLimits(blur_faces=False))
    assert result.faces_found == 0
    assert result.derivatives["master"].body == result.derivatives["public_master"].body


def test_no_face_means_public_equals_operator_bytes():
    result = process_photo(hostile.jpeg(640, 480))
    assert result.faces_found == 0
    for name in ("master", "card", "thumb"):
        assert result.derivatives[name].body == result.derivatives["public_" + name].body


@pytest.mark.parametrize(
    "region",
    [
        Region(x=0.5, y=0.0, w=0.5, h=0.5, unit="norm"),
        Region(x=320, y=0, w=320, h=240, unit="px"),
    ],
)
def test_operator_regions_are_redacted_in_public_only(region):
    result = process_photo(hostile.jpeg(640, 480), redactions=[region])
    operator, public = (
        pixels(result.derivatives["master"].body),
        pixels(result.derivatives["public_master"].body),
    )
    redacted_op, redacted_pub = operator[:240, 320:], public[:240, 320:]
    assert detail(redacted_pub) < detail(redacted_op) * 0.2  # the noise (fine detail) is gone
    assert np.abs(redacted_op - redacted_pub).mean() > 8
    assert np.abs(operator[260:, :300] - public[260:, :300]).mean() < 1.5


@pytest.mark.parametrize(
    ("region", "size", "box"),
    [
        (Region(x=10, y=20, w=30, h=40), (100, 100), Box(10, 20, 30, 40)),
        (Region(x=0.25, y=0.5, w=0.5, h=0.25, unit="norm"), (200, 100), Box(50, 50, 100, 25)),
        (Region(x=90, y=90, w=50, h=50), (100, 100), Box(90, 90, 10, 10)),  # clipped
        (Region(x=0.9, y=0.0, w=0.5, h=2.0, unit="norm"), (100, 50), Box(90, 0, 10, 50)),
        (Region(x=150, y=0, w=10, h=10), (100, 100), Box(100, 0, 0, 10)),  # outside: empty, ignored
    ],
)
def test_region_to_box(region, size, box):
    assert region.to_box(*size) == box
