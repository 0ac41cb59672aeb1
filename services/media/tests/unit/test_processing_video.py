"""Videos: probed, limited, stripped, made web-playable, with a poster."""

import io
import json
import random
import struct
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from services.media.processing import MediaError, MediaLimits, process_video
from services.media.processing.isobmff import check_top_level_boxes
from services.media.tests.unit import hostile

SECRET = f"secret-{random.randrange(10**6)}"


def random_iso6709() -> tuple[float, float, str]:
    lat, lon = round(random.uniform(17.9, 18.8), 4), round(random.uniform(105.1, 106.5), 4)
    return lat, lon, f"+{lat:08.4f}+{lon:09.4f}+010.000/"


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    lat, lon, iso = random_iso6709()
    meta = {"location": iso, "title": SECRET, "comment": SECRET, "creation_time": "2026-03-01T08:00:00Z"}
    base = tmp_path_factory.mktemp("clips")
    return {
        "position": (lat, lon),
        "mp4": hostile.make_video(base / "h264.mp4", 2, metadata=meta),
        "mov": hostile.make_video(base / "h264.mov", 2, fmt="mov", metadata=meta),
        "webm": hostile.make_video(
            base / "vp9.webm", 2, codec="libvpx-vp9", audio="libopus", fmt="webm", metadata={"title": SECRET}
        ),
        "mpeg4": hostile.make_video(base / "mpeg4.mp4", 2, codec="mpeg4", audio="aac", size="330x250"),
    }


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("mp4", "video/mp4"),
        ("mov", "video/quicktime"),
        ("webm", "video/webm"),
        ("mpeg4", "video/mp4"),
    ],
)
def test_web_rendition_poster_and_no_metadata(clips, tmp_path, name, mime):
    result = process_video(str(clips[name]), out_dir=str(tmp_path))
    assert (result.kind, result.mime) == ("video", mime)
    assert result.duration == pytest.approx(2.0, abs=0.1)
    video = result.derivatives["video"]
    assert video.content_type == "video/mp4" and video.public and Path(video.body).parent == tmp_path
    info = ffprobe(Path(video.body))
    codecs = sorted(s["codec_name"] for s in info["streams"])
    assert codecs == ["aac", "h264"]
    assert {"location", "title", "comment", "creation_time"}.isdisjoint(info["format"].get("tags", {}))
    raw = Path(video.body).read_bytes()
    assert SECRET.encode() not in raw and b"+010.000/" not in raw and b"x264 - core" not in raw  # no SEI
    assert raw.find(b"moov") < raw.find(b"mdat")  # faststart: index before the media data
    for poster in ("poster", "public_poster", "poster_thumb", "public_poster_thumb"):
        with Image.open(io.BytesIO(result.derivatives[poster].body)) as image:
            assert image.format == "JPEG" and len(image.getexif()) == 0
    assert result.derivatives["poster_thumb"].width <= 256


def test_transcoded_dimensions_are_even_and_bounded(clips, tmp_path):
    result = process_video(str(clips["mpeg4"]), MediaLimits(video_max_px=200), out_dir=str(tmp_path))
    video = result.derivatives["video"]
    assert (result.width, result.height) == (330, 250)
    assert max(video.width, video.height) <= 200 and video.width % 2 == 0 and video.height % 2 == 0


@pytest.mark.parametrize("name", ["mp4", "mov"])
def test_iso6709_location_becomes_a_hint(clips, tmp_path, name):
    lat, lon = clips["position"]
    hint = process_video(str(clips[name]), out_dir=str(tmp_path)).location_hint
    assert hint is not None and (hint.lat, hint.lon) == pytest.approx((lat, lon), abs=1e-4)


def test_private_output_dir_is_created_when_none_is_given(clips):
    import shutil

    result = process_video(str(clips["mp4"]))
    try:
        assert result.output_dir.is_dir() and result.output_dir.stat().st_mode & 0o077 == 0
        assert Path(result.derivatives["video"].body).parent == result.output_dir
    finally:
        shutil.rmtree(result.output_dir)


def hostile_videos(base: Path) -> dict[str, tuple[Path, str]]:
    """Name → (file, expected code) for videos that must be refused."""
    good = hostile.make_video(base / "good.mp4", 2)
    data = good.read_bytes()
    return {
        "over_long_100s": (
            hostile.make_video(base / "long.mp4", 100, size="64x48", fps=1, audio=None),
            "VIDEO_TOO_LONG",
        ),
        "over_long_stream_without_duration": (_live_webm(base / "live.webm", 100), "VIDEO_TOO_LONG"),
        "truncated_mp4": (hostile.write(base / "cut.mp4", data[: len(data) // 2]), "MEDIA_TRUNCATED"),
        "ftyp_then_garbage": (hostile.write(base / "garbage.mp4", hostile.fake_mp4()), "MEDIA_MALFORMED"),
        "hls_playlist_renamed_mp4": (hostile.write(base / "list.mp4", hostile.HLS), "UNSUPPORTED_MEDIA_TYPE"),
        "jpeg_sent_as_video": (
            hostile.write(base / "photo.mp4", hostile.jpeg(64, 64)),
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        "empty": (hostile.write(base / "empty.mp4", b""), "MEDIA_EMPTY"),
        "random": (hostile.write(base / "random.webm", random.randbytes(5000)), "UNSUPPORTED_MEDIA_TYPE"),
        "good": (good, None),
    }


def _live_webm(path: Path, seconds: int) -> Path:
    """A WebM written to a pipe (like a browser's MediaRecorder): its header carries no duration."""
    args = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=64x48:rate=2:duration={seconds}",
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-b:v",
        "50k",
        "-f",
        "webm",
        "pipe:1",
    ]
    path.write_bytes(subprocess.run(args, capture_output=True, check=True, timeout=120).stdout)
    assert "duration" not in ffprobe(path)["format"]
    return path


@pytest.fixture(scope="module")
def bad_videos(tmp_path_factory):
    return hostile_videos(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize(
    "name",
    [
        "over_long_100s",
        "over_long_stream_without_duration",
        "truncated_mp4",
        "ftyp_then_garbage",
        "hls_playlist_renamed_mp4",
        "jpeg_sent_as_video",
        "empty",
        "random",
    ],
)
def test_hostile_videos_are_refused_quickly(bad_videos, tmp_path, name):
    """Within a second on an idle machine; under load, within ten ffprobe runs of a small valid clip timed
    around it (a refusal costs a probe or two, and for a stream without a duration a transcode stopped at the
    limit)."""
    path, expected = bad_videos[name]
    baseline = ffprobe_seconds(bad_videos["good"][0])
    started = time.perf_counter()
    with pytest.raises(MediaError) as caught:
        process_video(str(path), out_dir=str(tmp_path))
    seconds = time.perf_counter() - started
    assert caught.value.code == expected
    bound = hostile.quick_bound(10, baseline, ffprobe_seconds(bad_videos["good"][0]))
    assert seconds < bound, (seconds, bound)


def ffprobe_seconds(path: Path) -> float:
    """One ffprobe of a small valid clip, now: the unit of a video refusal's work on this machine."""
    return hostile.seconds_of(ffprobe, path)


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (MediaLimits(max_video_bytes=1000), "MEDIA_TOO_LARGE"),
        (MediaLimits(max_video_seconds=1.5), "VIDEO_TOO_LONG"),
        (MediaLimits(max_video_pixels=320 * 240 - 1), "IMAGE_TOO_MANY_PIXELS"),
        (MediaLimits(ffprobe_timeout_s=0.0001), "MEDIA_PROCESSING_FAILED"),
    ],
)
def test_video_limits_are_configurable(clips, limits, code):
    with pytest.raises(MediaError) as caught:
        process_video(str(clips["mp4"]), limits)
    assert caught.value.code == code


def test_failed_processing_leaves_no_temporary_directory(clips, monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(MediaError):
        process_video(str(clips["mp4"]), MediaLimits(ffmpeg_timeout_s=0.0001))
    assert list(tmp_path.iterdir()) == []


def box(kind: bytes, payload: bytes = b"", size: int | None = None) -> bytes:
    """One ISO-BMFF box; `size` may lie about the length."""
    return struct.pack(">I", size if size is not None else 8 + len(payload)) + kind + payload


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (box(b"ftyp", b"isom" * 3) + box(b"mdat", b"\x00" * 100, size=5000), "MEDIA_TRUNCATED"),
        (box(b"ftyp", b"isom" * 3) + b"\x00\x00", "MEDIA_TRUNCATED"),
        (box(b"ftyp", b"isom" * 3) + box(b"\x00\xff\x13\x80", b"x" * 10), "MEDIA_MALFORMED"),
        (box(b"ftyp", b"isom" * 3) + box(b"mdat", b"x" * 10), "MEDIA_MALFORMED"),  # no moov at all
        (box(b"ftyp", b"isom" * 3) + box(b"free", size=4), "MEDIA_MALFORMED"),
        (
            box(b"ftyp", b"isom" * 3) + struct.pack(">I4sQ", 1, b"mdat", 1 << 40),
            "MEDIA_TRUNCATED",
        ),  # 64-bit size
    ],
)
def test_top_level_box_walk(tmp_path, data, code):
    with pytest.raises(MediaError) as caught:
        check_top_level_boxes(str(hostile.write(tmp_path / "x.mp4", data)))
    assert caught.value.code == code


def test_top_level_box_walk_accepts_a_real_file(clips):
    check_top_level_boxes(str(clips["mp4"]))
    check_top_level_boxes(str(clips["mov"]))
