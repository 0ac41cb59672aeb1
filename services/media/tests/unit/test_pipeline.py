"""The pipeline over fakes: prechecks from size and first bytes, renditions under random keys, store
failures."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from libs.contracts.errors import ERRORS, ErrorCode
from services.media.processing import ERROR_CLASSES, MediaError, MediaLimits, Region, process_photo
from services.media.settings import MediaSettings
from services.media.tests.unit import hostile
from services.media.usecases.pipeline import Pipeline, new_key

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class FakeObjects:
    """An in-memory bucket that can be told to fail on put."""

    def __init__(self, fail_put_after: int | None = None):
        self.data: dict[str, bytes] = {}
        self.fail_put_after = fail_put_after
        self.puts = 0

    def get(self, key, length=None):
        if key not in self.data:
            raise ConnectionError("store down")
        return self.data[key][:length] if length else self.data[key]

    def put(self, key, data, content_type):
        self.puts += 1
        if self.fail_put_after is not None and self.puts > self.fail_put_after:
            raise TimeoutError("store timeout")
        self.data[key] = bytes(data)

    def put_file(self, key, path, content_type):
        self.put(key, Path(path).read_bytes(), content_type)
        return len(self.data[key])

    def spool(self, key, path, max_bytes):
        body = self.get(key)
        with open(path, "wb") as handle:
            handle.write(body)
        return len(body)

    def delete_quietly(self, keys):
        for key in list(keys):
            self.data.pop(key, None)


class InProcessEngine:
    """The pool's work, done in this process (the pool itself has its own tests)."""

    def __init__(self):
        self.regions = None

    def photo(self, path, limits, regions, timeout):
        self.regions = list(regions)
        return process_photo(Path(path).read_bytes(), limits, regions)

    def video(self, path, limits, out_dir, timeout):
        from services.media.processing import process_video

        return process_video(path, limits, out_dir)

    def inspect_video(self, path, limits, timeout):
        from services.media.processing import inspect_video

        return inspect_video(path, limits)


def pipeline(objects=None, **limits) -> tuple[Pipeline, FakeObjects, InProcessEngine]:
    objects, engine = objects or FakeObjects(), InProcessEngine()
    settings = MediaSettings(limits=MediaLimits(**limits)) if limits else MediaSettings()
    return Pipeline(objects, settings, engine), objects, engine


def stored(objects: FakeObjects, data: bytes) -> str:
    key = new_key("originals", NOW)
    objects.data[key] = data
    return key


@pytest.mark.parametrize(
    ("data", "size", "code"),
    [
        (b"", 0, "MEDIA_EMPTY"),
        (hostile.HTML, None, "UNSUPPORTED_MEDIA_TYPE"),
        (hostile.zip_bytes(), None, "UNSUPPORTED_MEDIA_TYPE"),
        (b"\xff\xd8\xff" + b"\x00" * 10, 2000, "MEDIA_TOO_LARGE"),  # a photo over the photo limit
        (
            b"\x00\x00\x00\x18ftypisom" + b"\x00" * 20,
            10**12,
            "MEDIA_TOO_LARGE",
        ),  # over every limit: not even read
    ],
)
def test_precheck_refuses_from_size_and_first_bytes(data, size, code):
    pipe, objects, _ = pipeline(max_photo_bytes=1000)
    with pytest.raises(MediaError) as caught:
        pipe.precheck(stored(objects, data), len(data) if size is None else size)
    assert caught.value.code == code


def test_precheck_applies_the_limit_of_the_kind_the_bytes_show():
    pipe, objects, _ = pipeline(max_photo_bytes=1000, max_video_bytes=5000)
    video_head = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 20
    assert pipe.precheck(stored(objects, video_head), 4000).kind == "video"
    with pytest.raises(MediaError) as caught:
        pipe.precheck(stored(objects, b"\xff\xd8\xff\xe0" + b"\x00" * 20), 4000)
    assert caught.value.code == "MEDIA_TOO_LARGE" and caught.value.context["limit_bytes"] == 1000


def test_a_store_failure_is_ours_not_the_files():
    pipe, _, _ = pipeline()
    with pytest.raises(MediaError) as caught:
        pipe.precheck("originals/missing", 100)
    assert caught.value.code == "MEDIA_PROCESSING_FAILED"


def test_process_stores_each_rendition_under_a_new_random_key():
    pipe, objects, engine = pipeline()
    key = stored(objects, hostile.face_photo(size=(600, 400), face_px=200, at=(200, 200)))
    region = Region(x=0.8, y=0.1, w=0.1, h=0.1, unit="norm")
    outcome = pipe.process(key, "photo", [region], NOW)
    assert engine.regions == [region]
    assert (outcome.kind, outcome.mime, outcome.width, outcome.height) == ("photo", "image/jpeg", 600, 400)
    names = sorted((r.name, r.audience) for r in outcome.renditions)
    assert names == [
        ("card", "operator"),
        ("card", "public"),
        ("master", "operator"),
        ("master", "public"),
        ("thumb", "operator"),
        ("thumb", "public"),
    ]
    keys = [r.object_key for r in outcome.renditions]
    assert len(set(keys)) == 6 and all(
        k.startswith("renditions/2026/03/") and k in objects.data for k in keys
    )
    assert all(
        objects.data[r.object_key][:3] == b"\xff\xd8\xff" and r.size == len(objects.data[r.object_key])
        for r in outcome.renditions
    )
    assert key in objects.data  # the original stays (private)


def test_a_failed_store_midway_removes_what_was_written_and_is_retryable():
    pipe, objects, _ = pipeline(FakeObjects(fail_put_after=2))
    key = stored(objects, hostile.jpeg(200, 100))
    with pytest.raises(MediaError) as caught:
        pipe.process(key, "photo", [], NOW)
    assert caught.value.code == "MEDIA_PROCESSING_FAILED"
    assert set(objects.data) == {key}


def test_scratch_files_are_removed(tmp_path):
    objects = FakeObjects()
    pipe = Pipeline(objects, MediaSettings(), InProcessEngine(), tmp_root=str(tmp_path))
    pipe.process(stored(objects, hostile.jpeg(64, 48)), "photo", [], NOW)
    with pytest.raises(MediaError):
        pipe.process(stored(objects, hostile.jpeg(64, 48)[:300]), "photo", [], NOW)
    assert os.listdir(tmp_path) == []


def test_video_inspection_reports_duration_and_position(tmp_path):
    pipe, objects, _ = pipeline()
    clip = hostile.make_video(
        tmp_path / "c.mov", 1, fmt="mov", size="160x120", metadata={"location": "+18.3400+105.9000+010.000/"}
    )
    outcome = pipe.inspect_video(stored(objects, clip.read_bytes()))
    assert (outcome.kind, outcome.width, outcome.height) == ("video", 160, 120)
    assert outcome.duration == pytest.approx(1.0, abs=0.1) and outcome.renditions == []
    assert (outcome.location_hint.lat, outcome.location_hint.lon) == (18.34, 105.9)


def test_keys_are_random_and_dated():
    keys = {new_key("originals", NOW) for _ in range(100)}
    assert len(keys) == 100 and all(k.startswith("originals/2026/03/") and len(k) == 50 for k in keys)
    assert str(uuid.uuid4()) not in "".join(keys)


@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_every_processing_error_is_a_shared_error_code_with_a_client_or_server_status(code):
    status = ERRORS[ErrorCode(code)].status
    assert status == 503 if code == "MEDIA_PROCESSING_FAILED" else 400 <= status < 500
