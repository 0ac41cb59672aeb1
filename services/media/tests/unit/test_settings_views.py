"""Settings from the service config; rows → views (who gets which URL, what is never shown)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from libs.contracts.media import LocationHint
from services.media.domain.views import media_view
from services.media.settings import MediaSettings, from_config

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_defaults_match_the_issue():
    s = from_config({})
    assert (s.limits.max_photo_bytes, s.limits.max_video_bytes) == (15 * 2**20, 100 * 2**20)
    assert (s.limits.max_video_seconds, s.max_per_report, s.limits.blur_faces) == (90, 6, True)
    assert s.limits.max_pixels < 89_478_485  # lower than Pillow's own bomb threshold
    assert s.get_url_ttl <= timedelta(minutes=15)


def test_config_values_are_read_and_typed():
    s = from_config(
        {
            "MEDIA_MAX_PHOTO_BYTES": "2000",
            "MEDIA_MAX_VIDEO_SECONDS": 30,
            "MEDIA_UPLOAD_TTL_S": "1",
            "MEDIA_BLUR_FACES": "false",
            "MEDIA_POOL_WORKERS": 3,
            "MEDIA_RETRY_BASE_S": "0.5",
        }
    )
    assert (s.limits.max_photo_bytes, s.limits.max_video_seconds, s.upload_ttl) == (
        2000,
        30,
        timedelta(seconds=1),
    )
    assert (s.limits.blur_faces, s.pool_workers, s.retry_base) == (False, 3, timedelta(seconds=0.5))


@pytest.mark.parametrize(
    "bad", [{"MEDIA_MAX_PHOTO_BYTES": "0"}, {"MEDIA_POOL_WORKERS": "-1"}, {"MEDIA_MAX_PER_REPORT": "many"}]
)
def test_bad_config_is_refused(bad):
    with pytest.raises((ValidationError, ValueError)):
        from_config(bad)


@pytest.mark.parametrize(
    ("claimed", "limit"),
    [("image/jpeg", 15 * 2**20), ("VIDEO/MP4", 100 * 2**20), ("application/octet-stream", 15 * 2**20)],
)
def test_slot_limit_follows_the_claim(claimed, limit):
    assert MediaSettings().slot_limit(claimed) == limit


def test_a_video_lease_outlasts_its_time_budget():
    s = MediaSettings()
    assert s.lease("video") > timedelta(seconds=s.video_timeout_s) > s.lease("photo")


@dataclass
class Row:
    state: str = "ready"
    kind: str = "photo"
    faces_found: int | None = 1
    redactions: list = field(default_factory=list)
    video_public: bool = False
    confirmed_at: datetime | None = NOW
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    report_id: uuid.UUID = field(default_factory=uuid.uuid4)
    content_type: str = "image/png"
    size: int = 1234
    role: str = "evidence"
    reject_reason: str | None = None
    created_at: datetime = NOW
    width: int = 40
    height: int = 30
    duration: float | None = None
    hidden: bool = False


@dataclass
class Stored:
    name: str
    audience: str
    object_key: str = field(default_factory=lambda: f"renditions/{uuid.uuid4().hex}")
    content_type: str = "image/jpeg"
    width: int = 40
    height: int = 30


STORED = [Stored("master", "operator"), Stored("master", "public"), Stored("thumb", "shared")]


def presign(key: str) -> str:
    return f"https://s3.example/{key}?sig=1"


def test_a_hidden_file_is_shown_to_operators_only():
    assert media_view(Row(hidden=True), STORED, "public", presign).renditions == []
    assert media_view(Row(hidden=True), STORED, "public", presign).url is None
    assert len(media_view(Row(hidden=True), STORED, "operator", presign).renditions) == 2


def test_a_file_is_unblurred_when_operators_have_renditions_of_their_own():
    from services.media.domain.policy import unblurred

    assert unblurred(STORED) and not unblurred([Stored("master", "shared"), Stored("thumb", "shared")])


def test_operators_get_unblurred_renditions_and_the_face_count():
    view = media_view(Row(), STORED, "operator", presign)
    assert view.url == presign(STORED[0].object_key) and view.blurred is False and view.faces_found == 1
    assert [r.name for r in view.renditions] == ["master", "thumb"]


def test_the_public_gets_blurred_renditions_and_no_face_count():
    view = media_view(Row(), STORED, "public", presign)
    assert view.url == presign(STORED[1].object_key) and view.blurred is True and view.faces_found is None


@pytest.mark.parametrize(
    "row", [Row(state="pending"), Row(state="rejected", reject_reason="MEDIA_MALFORMED")]
)
def test_no_url_unless_ready(row):
    view = media_view(row, STORED, "operator", presign)
    assert view.url is None and view.renditions == []


def test_no_audience_no_url_and_the_hint_only_when_given():
    view = media_view(Row(), STORED, None, presign, LocationHint(lat=18.3, lon=105.9, source="exif_gps"))
    assert view.url is None and view.renditions == [] and view.location_hint.lat == 18.3
    assert media_view(Row(), STORED, "public", presign).location_hint is None


@pytest.mark.parametrize(
    ("row", "processing"),
    [(Row(state="pending", confirmed_at=None), False), (Row(state="pending"), True), (Row(), False)],
)
def test_processing_means_confirmed_and_still_pending(row, processing):
    assert media_view(row, [], "operator", presign).processing is processing


def test_a_video_with_faces_shows_its_poster_until_released():
    stored = [Stored("video", "shared", content_type="video/mp4"), Stored("poster", "public")]
    held = media_view(Row(kind="video"), stored, "public", presign)
    assert [r.name for r in held.renditions] == ["poster"] and held.video_public is False
    released = media_view(Row(kind="video", video_public=True), stored, "public", presign)
    assert released.url == presign(stored[0].object_key) and released.video_public is True
