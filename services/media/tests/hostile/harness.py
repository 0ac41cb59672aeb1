"""Run corpus files through the service's own pipeline and pool, and inspect what would be stored.

`Pipeline` (precheck → inspect → process → store) is the service's; only the bucket is a local directory and
the engine wraps the same worker functions the pool runs, adding the worker's peak memory to each answer."""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from services.media.processing import MediaError, MediaLimits, inspect_video, process_video
from services.media.processing.limits import spool_to_file
from services.media.processing.pool import _process_photo_file, run_in_pool
from services.media.settings import MediaSettings
from services.media.usecases.pipeline import Outcome, Pipeline

from .boxes import PHONE, SECRET

FORBIDDEN_BYTES = (
    SECRET,
    PHONE,
    b"Exif\x00",
    b"http://ns.adobe.com",
    b"ICC_PROFILE",
    b"8BIM",
    b"Photoshop",
    b"+18.3428",
    b"105.9057",
    b"HienTruong",
)
FORBIDDEN_INFO = {
    "exif",
    "xmp",
    "icc_profile",
    "comment",
    "photoshop",
    "XML:com.adobe.xmp",
    "Author",
    "Comment",
}
ALLOWED_FORMAT_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder"}
ALLOWED_STREAM_TAGS = {"language", "handler_name", "vendor_id", "encoder"}  # encoder: "Lavc… libx264"
ALLOWED_HANDLERS = {"VideoHandler", "SoundHandler"}


class LocalObjects:
    """The bucket operations of `pipeline.MediaObjects` over a local directory."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key.replace("/", "_")

    def get(self, key: str, length: int | None = None) -> bytes:
        with open(self.path(key), "rb") as handle:
            return handle.read(length if length is not None else -1)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.path(key).write_bytes(data)

    def put_file(self, key: str, path: str, content_type: str) -> int:
        shutil.copyfile(path, self.path(key))
        return os.path.getsize(path)

    def spool(self, key: str, path: str, max_bytes: int) -> int:
        with open(self.path(key), "rb") as source:
            return spool_to_file(iter(lambda: source.read(1 << 20), b""), path, max_bytes)

    def delete_quietly(self, keys) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)


class WatchedPopen(subprocess.Popen):
    """Worker side: a Popen that reads its child's own peaks from /proc while it runs (VmHWM: resident set,
    VmPeak: address space; both of the program after its exec, so not the worker's pages a fork copied, which
    `RUSAGE_CHILDREN` would count). Read every 5 ms: a peak reached in the last few ms before exit may be
    missed."""

    peaks: list[tuple[str, int, int]] = []  # (program, VmHWM KiB, VmPeak KiB) per run

    def __init__(self, args, *rest, **kwargs):
        super().__init__(args, *rest, **kwargs)
        self._high, self._recorded = [0, 0], False
        self._watch = threading.Thread(target=self._poll, daemon=True)
        self._watch.start()
        self._program = os.path.basename(str(args[0]))

    def _poll(self) -> None:
        status = f"/proc/{self.pid}/status"
        while self.returncode is None:
            try:
                with open(status) as fh:
                    for line in fh:
                        if line.startswith(("VmHWM:", "VmPeak:")):
                            i = 0 if line.startswith("VmHWM") else 1
                            self._high[i] = max(self._high[i], int(line.split()[1]))
            except (OSError, ValueError):
                return  # gone (or a zombie without its memory)
            time.sleep(0.005)

    def wait(self, timeout=None):
        code = super().wait(timeout)
        self._watch.join()
        if not self._recorded:  # wait() is called again by `with proc:`
            self._recorded = True
            WatchedPopen.peaks.append((self._program, *self._high))
        return code


def measured(fn, *args):
    """Worker side: run one pool function; answer (outcome or MediaError, pid, the worker's peak RSS in KiB,
    the peaks of the ffmpeg/ffprobe runs it made)."""
    from services.media.processing import tools

    tools.subprocess = _WatchedSubprocess  # run_tool's children are watched (this worker only)
    WatchedPopen.peaks = []
    try:
        outcome = fn(*args)
    except MediaError as exc:
        outcome = exc
    return outcome, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, list(WatchedPopen.peaks)


class _WatchedSubprocess:
    """The `subprocess` module as run_tool sees it in a measured worker: Popen watched, the rest unchanged."""

    Popen = WatchedPopen
    DEVNULL, PIPE, TimeoutExpired = subprocess.DEVNULL, subprocess.PIPE, subprocess.TimeoutExpired


@dataclass
class MeasuredEngine:
    """`pipeline.Engine` through the real pool, recording each worker's peak resident set."""

    worker_peak_kb: dict[int, int] = field(default_factory=dict)
    tool_peaks: list[tuple[str, int, int]] = field(default_factory=list)  # (program, VmHWM, VmPeak) KiB

    def _run(self, fn, args: tuple, timeout: float):
        outcome, pid, peak, tools = run_in_pool(measured, (fn, *args), timeout)
        self.worker_peak_kb[pid] = max(self.worker_peak_kb.get(pid, 0), peak)
        self.tool_peaks.extend(tools)
        if isinstance(outcome, MediaError):
            raise outcome
        return outcome

    def photo(self, path, limits, regions, timeout):
        return self._run(_process_photo_file, (path, limits, tuple(regions)), timeout)

    def video(self, path, limits, out_dir, timeout):
        return self._run(process_video, (path, limits, out_dir), timeout)

    def inspect_video(self, path, limits, timeout):
        return self._run(inspect_video, (path, limits), timeout)


@dataclass
class Result:
    """What happened to one file: `stored` with its outcome, a refusal code, or a crash (anything else)."""

    outcome: str
    stored: Outcome | None = None
    crash: str | None = None


def run_one(
    path: Path, objects: LocalObjects, settings: MediaSettings, engine: MeasuredEngine, tmp_root: str
) -> Result:
    """The service's confirmation and processing steps for one file, as `uploads._confirm` and `_attempt`
    do."""
    key = f"originals/{path.parent.name}/{path.name}"
    shutil.copyfile(path, objects.path(key))
    pipeline = Pipeline(objects, settings, engine, tmp_root)
    try:
        sniffed = pipeline.precheck(key, path.stat().st_size)
        if sniffed.kind == "video":
            pipeline.inspect_video(key)
        outcome = pipeline.process(key, sniffed.kind, [], datetime.now(UTC))
    except MediaError as exc:
        return Result(exc.code, crash=exc.detail if exc.code == "MEDIA_PROCESSING_FAILED" else None)
    except Exception as exc:  # noqa: BLE001 - anything else is a crash of the pipeline
        return Result("CRASH", crash=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        objects.delete_quietly([key])
    return Result("stored", outcome)


# ---------------------------------------------------------------- checks of what was stored


def photo_problems(body: bytes, max_px: int) -> list[str]:
    """Why a stored JPEG is not a bare, bounded JFIF (empty when it is)."""
    problems = [f"contains {m!r}" for m in FORBIDDEN_BYTES if m in body]
    if not body.startswith(b"\xff\xd8\xff"):
        return [*problems, "not a JPEG"]
    i = 2
    while i + 4 <= len(body) and body[i] == 0xFF and body[i + 1] != 0xDA:
        marker = body[i + 1]
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            problems.append(f"segment 0x{marker:02X}")
        i += 2 + int.from_bytes(body[i + 2 : i + 4], "big")
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        leaked = FORBIDDEN_INFO & set(image.info)
        if leaked or len(image.getexif()):
            problems.append(f"Pillow reads metadata {sorted(leaked)} exif={len(image.getexif())}")
        if max(image.size) > max_px:
            problems.append(f"{image.size} over {max_px}")
        if image.format != "JPEG" or image.mode != "RGB":
            problems.append(f"{image.format} {image.mode}")
    return problems


def ffprobe(path: Path) -> dict:
    done = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-show_chapters",
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def video_problems(path: Path, limits: MediaLimits) -> list[str]:
    """Why a stored MP4 carries metadata, side streams or more than the limits allow (empty when clean)."""
    body = path.read_bytes()
    problems = [f"contains {m!r}" for m in FORBIDDEN_BYTES if m in body]
    info = ffprobe(path)
    fmt = info.get("format") or {}
    if set(fmt.get("tags") or {}) - ALLOWED_FORMAT_TAGS:
        problems.append(f"format tags {fmt.get('tags')}")
    if info.get("chapters"):
        problems.append("chapters")
    streams = info.get("streams") or []
    kinds = sorted(s.get("codec_type") for s in streams)
    if kinds not in (["video"], ["audio", "video"]):
        problems.append(f"streams {kinds}")
    for stream in streams:
        tags = stream.get("tags") or {}
        if (
            set(tags) - ALLOWED_STREAM_TAGS
            or tags.get("handler_name", "VideoHandler") not in ALLOWED_HANDLERS
        ):
            problems.append(f"stream tags {tags}")
        if (stream.get("disposition") or {}).get("attached_pic"):
            problems.append("attached picture")
        if stream.get("codec_type") == "video":
            w, h = int(stream["width"]), int(stream["height"])
            if w * h > limits.max_video_pixels:  # a remux keeps the size; a transcode fits video_max_px
                problems.append(f"{w}x{h} over the limits")
            if stream.get("codec_name") != "h264":
                problems.append(f"codec {stream.get('codec_name')}")
    duration = float(fmt.get("duration") or 0)
    if not 0 < duration <= limits.max_video_seconds:
        problems.append(f"duration {duration}")
    return problems


def stored_problems(objects: LocalObjects, outcome: Outcome, limits: MediaLimits) -> list[str]:
    """Every problem of every rendition stored for one file."""
    bounds = {
        "master": limits.master_px,
        "card": limits.card_px,
        "thumb": limits.thumb_px,
        "poster": limits.card_px,
        "poster_thumb": limits.thumb_px,
    }
    problems = []
    if (
        outcome.width is None
        or outcome.height is None
        or outcome.width * outcome.height > max(limits.max_pixels, limits.max_video_pixels)
    ):
        problems.append(f"outcome {outcome.width}x{outcome.height}")
    if outcome.kind == "video" and not (outcome.duration and outcome.duration <= limits.max_video_seconds):
        problems.append(f"outcome duration {outcome.duration}")
    for r in outcome.renditions:
        path = objects.path(r.object_key)
        if r.content_type == "video/mp4":
            found = video_problems(path, limits)
        else:
            found = photo_problems(path.read_bytes(), bounds[r.name])
        problems += [f"{r.name}/{r.audience}: {p}" for p in found]
    return problems
