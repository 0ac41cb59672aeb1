"""Size guards, limits model and the error contract."""

import pickle
import random

import pytest
from pydantic import ValidationError

from services.media.processing import (
    ERROR_CLASSES,
    MESSAGES,
    MediaError,
    MediaLimits,
    check_declared_length,
    copy_limited,
    read_limited,
    spool_to_file,
)


def counting_chunks(count: int, size: int, pulled: list[int]):
    """A chunk stream that records how many chunks the consumer pulled."""
    for _ in range(count):
        pulled.append(1)
        yield random.randbytes(size)


def test_read_limited_stops_pulling_as_soon_as_the_limit_is_passed():
    pulled: list[int] = []
    with pytest.raises(MediaError) as caught:
        read_limited(counting_chunks(1000, 1024, pulled), max_bytes=10 * 1024)
    assert caught.value.code == "MEDIA_TOO_LARGE"
    assert len(pulled) == 11  # the 11th chunk crossed the line; the other 989 were never produced


def test_read_limited_returns_everything_at_the_limit():
    data = random.randbytes(4096)
    assert read_limited([data[:1000], data[1000:]], max_bytes=4096) == data


@pytest.mark.parametrize(
    ("chunks", "code"),
    [
        ([], "MEDIA_EMPTY"),
        ([b""], "MEDIA_EMPTY"),
        ([b"x" * 11], "MEDIA_TOO_LARGE"),
    ],
)
def test_read_limited_refusals(chunks, code):
    with pytest.raises(MediaError) as caught:
        read_limited(chunks, max_bytes=10)
    assert caught.value.code == code


def test_copy_limited_writes_up_to_the_limit_only(tmp_path):
    pulled: list[int] = []
    with open(tmp_path / "out", "wb") as dest, pytest.raises(MediaError) as caught:
        copy_limited(counting_chunks(100, 100, pulled), dest, max_bytes=550)
    assert caught.value.code == "MEDIA_TOO_LARGE"
    assert (tmp_path / "out").stat().st_size == 500 and len(pulled) == 6


def test_spool_to_file_removes_the_partial_file_and_is_private(tmp_path):
    target = tmp_path / f"upload-{random.randrange(10**9)}"
    with pytest.raises(MediaError):
        spool_to_file([b"a" * 600, b"b" * 600], str(target), max_bytes=1000)
    assert not target.exists()
    assert spool_to_file([b"a" * 600], str(target), max_bytes=1000) == 600
    assert target.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("length", "code"), [(0, "MEDIA_EMPTY"), (15 * 1024 * 1024 + 1, "MEDIA_TOO_LARGE")])
def test_declared_length_is_checked_before_reading(length, code):
    with pytest.raises(MediaError) as caught:
        check_declared_length(length, MediaLimits().max_photo_bytes)
    assert caught.value.code == code


@pytest.mark.parametrize("length", [None, 1, 15 * 1024 * 1024])
def test_declared_length_accepted(length):
    check_declared_length(length, MediaLimits().max_photo_bytes)


def test_limits_defaults_and_validation():
    limits = MediaLimits()
    assert (limits.max_photo_bytes, limits.max_video_bytes) == (15 * 1024 * 1024, 100 * 1024 * 1024)
    assert limits.max_pixels == 40_000_000 and limits.max_video_seconds == 90
    with pytest.raises(ValidationError):
        MediaLimits(max_pixels=0)
    with pytest.raises(ValidationError):
        MediaLimits(unknown_knob=1)


@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_every_error_has_bilingual_text_and_survives_pickling(code):
    error = ERROR_CLASSES[code](f"detail-{random.randrange(1000)}", limit_bytes=7)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error) and clone.code == code
    assert clone.detail == error.detail and clone.context == {"limit_bytes": 7}
    vi, en = MESSAGES[code]
    assert clone.to_dict()["message"] == vi and clone.to_dict()["message_en"] == en
    assert vi != en and vi and en
