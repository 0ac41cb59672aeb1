"""The video pipeline: sniff → ffprobe → limits → strip metadata → web MP4 (always re-encoded) → poster.

Metadata (creation time, GPS, camera model, chapters, data and subtitle tracks) is dropped with
`-map_metadata -1 -map_chapters -1` and by mapping only the probed video stream and the first audio stream.
Every stream is RE-ENCODED, never copied: a stream copy carries whatever bytes the container's sample
tables point at (a crafted or damaged `stco`/`stsz` makes the moov's own tags "sample data"; the hostile
corpus found phone numbers copied that way) and every SEI message of the source (user data that phones and
drones fill). SEI units of our own encoder's output are removed too (`filter_units`). Faces in
the moving picture are NOT blurred (only in the poster): `faces_found` > 0 should send the video to
an operator before publication.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .errors import ImageTooManyPixels, MediaMalformed, UnsupportedMediaType, VideoTooLong
from .faces import detect_faces
from .images import decode, open_guarded, resized, to_srgb
from .isobmff import check_top_level_boxes
from .limits import MediaLimits, check_declared_length
from .location import gps_from_iso6709
from .photo import render_set
from .results import Derivative, LocationHint, MediaResult
from .sniff import MP4, PNG, SNIFF_BYTES, Sniffed, sniff
from .tools import SAFE_INPUT, run_tool

DEFAULT_LIMITS = MediaLimits()
_LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")


@dataclass(frozen=True, slots=True)
class Probe:
    """What ffprobe says about the first video (and audio) stream."""

    duration: float | None
    video_index: int  # the stream ffmpeg must map (a cover picture may come first)
    width: int
    height: int
    video_codec: str
    pix_fmt: str | None
    audio_codec: str | None
    location_hint: LocationHint | None


def probe(path: str, sniffed: Sniffed, limits: MediaLimits) -> Probe:
    """Run ffprobe on a local file with the sniffed demuxer forced; may raise MEDIA_MALFORMED."""
    raw = run_tool(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            *SAFE_INPUT,
            "-f",
            sniffed.ffmpeg_format,
            "file:" + os.path.abspath(path),
        ],
        limits.ffprobe_timeout_s,
        limits.tool_memory_mb,
    )
    try:
        info = json.loads(raw)
    except ValueError as exc:
        raise MediaMalformed("ffprobe output is not JSON") from exc
    streams = info.get("streams") or []
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    if video is None or not video.get("width") or not video.get("height"):
        raise MediaMalformed("no video stream")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fmt = info.get("format") or {}
    width, height = int(video["width"]), int(video["height"])
    if _rotation(video) in (90, 270):
        width, height = height, width
    tags = {**(video.get("tags") or {}), **(fmt.get("tags") or {})}
    hint = next((h for h in (gps_from_iso6709(tags.get(t)) for t in _LOCATION_TAGS) if h), None)
    return Probe(
        _duration(fmt, video),
        int(video.get("index", 0)),
        width,
        height,
        str(video.get("codec_name")),
        video.get("pix_fmt"),
        audio.get("codec_name") if audio else None,
        hint,
    )


def _duration(fmt: dict, video: dict) -> float | None:
    """Container duration, else the stream's; None when unknown (e.g. MediaRecorder WebM)."""
    for value in (fmt.get("duration"), video.get("duration")):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    return None


def _rotation(video: dict) -> int:
    """Display rotation in degrees (0, 90, 180, 270) from the display matrix or the legacy tag."""
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    try:
        return int((video.get("tags") or {}).get("rotate", 0)) % 360
    except ValueError:
        return 0


def process_video(path: str, limits: MediaLimits = DEFAULT_LIMITS, out_dir: str | None = None) -> MediaResult:
    """Validate a local video file and write a web MP4 + poster; the caller removes `output_dir`.

    May raise MEDIA_EMPTY, MEDIA_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, MEDIA_MALFORMED, MEDIA_TRUNCATED,
    IMAGE_TOO_MANY_PIXELS, VIDEO_TOO_LONG or MEDIA_PROCESSING_FAILED. Without `out_dir` a private
    (0700) temporary directory is created; it is deleted here if processing fails.
    """
    sniffed, info = inspect_video(path, limits)
    owned = out_dir is None
    target = Path(out_dir or tempfile.mkdtemp(prefix="media-video-"))
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return _render(path, sniffed, info, limits, target)
    except BaseException:
        if owned:
            shutil.rmtree(target, ignore_errors=True)
        raise


def inspect_video(path: str, limits: MediaLimits = DEFAULT_LIMITS) -> tuple[Sniffed, Probe]:
    """The cheap checks only (size, type, container boxes, ffprobe, pixels, duration): no decoding.

    May raise MEDIA_EMPTY, MEDIA_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, MEDIA_MALFORMED, MEDIA_TRUNCATED,
    IMAGE_TOO_MANY_PIXELS or VIDEO_TOO_LONG; lets a service refuse a bad video at once and render later.
    """
    check_declared_length(os.path.getsize(path), limits.max_video_bytes)
    with open(path, "rb") as handle:
        sniffed = sniff(handle.read(SNIFF_BYTES))
    if sniffed.kind != "video":
        raise UnsupportedMediaType("a photo was sent as a video", detected=sniffed.mime)
    if sniffed.ffmpeg_format == "mov":
        check_top_level_boxes(path)  # may raise MEDIA_TRUNCATED / MEDIA_MALFORMED before ffprobe
    info = probe(path, sniffed, limits)
    if info.width * info.height > limits.max_video_pixels:
        raise ImageTooManyPixels(f"{info.width}x{info.height}", limit_pixels=limits.max_video_pixels)
    _check_duration(info.duration, limits)
    return sniffed, info


def _check_duration(duration: float | None, limits: MediaLimits) -> None:
    """Refuse a known duration over the limit (unknown ones are re-checked on the output)."""
    if duration is not None and duration > limits.max_video_seconds:
        raise VideoTooLong(
            f"{duration:.1f}s", duration=round(duration, 1), limit_seconds=limits.max_video_seconds
        )


def _render(path: str, sniffed: Sniffed, info: Probe, limits: MediaLimits, target: Path) -> MediaResult:
    """Write video.mp4 into target, then the poster set from it."""
    out = target / "video.mp4"
    run_tool(_ffmpeg_args(path, sniffed, info, out, limits), limits.ffmpeg_timeout_s, limits.tool_memory_mb)
    final = probe(str(out), MP4, limits)
    _check_duration(final.duration, limits)  # catches sources whose header had no duration
    poster = _poster_frame(out, final.duration, limits)
    faces = detect_faces(poster) if limits.blur_faces else []
    derivatives = render_set(
        poster, {"poster": limits.card_px, "poster_thumb": limits.thumb_px}, faces, (), limits.jpeg_quality
    )
    derivatives["video"] = Derivative(out, "video/mp4", final.width, final.height, True)
    return MediaResult(
        kind="video",
        mime=sniffed.mime,
        width=info.width,
        height=info.height,
        duration=final.duration or info.duration,
        derivatives=derivatives,
        location_hint=info.location_hint,
        faces_found=len(faces),
        output_dir=target,
    )


def _ffmpeg_args(src: str, sniffed: Sniffed, info: Probe, out: Path, limits: MediaLimits) -> list[str]:
    """Command line for a metadata-free, faststart H.264/AAC MP4 re-encoded from decoded frames."""
    side = limits.video_max_px
    scale = (
        f"scale=w='if(gte(iw,ih),trunc(min({side},iw)/2)*2,-2)'"
        f":h='if(gte(iw,ih),-2,trunc(min({side},ih)/2)*2)'"
    )
    return [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-y",
        *SAFE_INPUT,
        "-f",
        sniffed.ffmpeg_format,
        "-i",
        "file:" + os.path.abspath(src),
        "-map",
        f"0:{info.video_index}",
        "-map",
        "0:a:0?",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-sn",
        "-dn",
        "-t",
        str(limits.max_video_seconds + 1),
        "-vf",
        scale,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-bsf:v",
        "filter_units=remove_types=6",  # SEI: x264 writes its settings there
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ac",
        "2",
        "-threads",
        "2",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "file:" + str(out),
    ]


def _poster_frame(video: Path, duration: float | None, limits: MediaLimits) -> Image.Image:
    """One decoded frame (PNG through a pipe) from the rendition, as a guarded RGB Pillow image."""
    at = min(1.0, duration / 2) if duration else 0.0
    png = run_tool(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-v",
            "error",
            *SAFE_INPUT,
            "-ss",
            f"{at:.3f}",
            "-f",
            "mov",
            "-i",
            "file:" + str(video),
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "pipe:1",
        ],
        limits.ffmpeg_timeout_s,
        limits.tool_memory_mb,
    )
    if not png:
        raise MediaMalformed("no decodable frame")
    with open_guarded(png, PNG, limits.max_pixels) as image:
        return resized(to_srgb(decode(image)), limits.card_px)
