"""Builders for hostile and benign media, generated at test time (nothing binary is committed)."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw

# ---------------------------------------------------------------- raw building blocks


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real decompression bomb: a valid 1-bit PNG whose IDAT inflates to width×height pixels.

    Rows are compressed in batches, so building it never holds more than ~1 MB of raw rows; the
    file is ~50 KB while a decoder would need ≥ 400 MB (1.2 GB once converted to RGB).
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" * (1 + (width + 7) // 8)
    batch = row * 400
    packer = zlib.compressobj(9)
    idat = bytearray()
    for start in range(0, height, 400):
        idat += packer.compress(batch if height - start >= 400 else row * (height - start))
    idat += packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", bytes(idat))
        + png_chunk(b"IEND", b"")
    )


def noisy_image(width: int = 640, height: int = 480, seed: int | None = None) -> Image.Image:
    """An RGB image of random noise over gradients (compresses badly: good for truncation)."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    noise = rng.integers(0, 60, (height, width, 3)).astype(np.float32)
    return Image.fromarray(np.clip(base * 0.7 + noise, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    """Encode a Pillow image to bytes."""
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(width: int = 640, height: int = 480, **params) -> bytes:
    """A plain noisy JPEG."""
    return encode(noisy_image(width, height), "JPEG", quality=90, **params)


def zip_bytes() -> bytes:
    """A small ZIP archive with a script inside."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload.js", "alert(document.cookie)")
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)
HLS = b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"


def jpeg_huge_dimensions() -> bytes:
    """A small JPEG whose SOF0 header is patched to claim 60 000 × 60 000 pixels."""
    data = bytearray(jpeg(64, 64, progressive=False))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    return bytes(data)


def corrupt_png() -> bytes:
    """A PNG whose IDAT bytes are damaged (CRC no longer matches)."""
    data = bytearray(encode(noisy_image(64, 64), "PNG"))
    idat = data.find(b"IDAT")
    data[idat + 10 : idat + 20] = b"\x00" * 10
    return bytes(data)


def fake_mp4() -> bytes:
    """An ftyp box announcing MP4 followed by garbage: passes the sniff, fails ffprobe."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2"
    return ftyp + random.Random(4000).randbytes(
        4000
    )  # the same garbage every run (some garbage reads as truncated)


def hostile_corpus() -> dict[str, tuple[bytes, str]]:
    """Name → (bytes, expected error code) for everything that must be refused as a photo."""
    full_jpeg = jpeg(800, 600)
    return {
        "png_bomb_20000x20000": (png_bomb(), "IMAGE_TOO_MANY_PIXELS"),
        "jpeg_claims_60000x60000": (jpeg_huge_dimensions(), "IMAGE_TOO_MANY_PIXELS"),
        "zip_renamed_jpg": (zip_bytes(), "UNSUPPORTED_MEDIA_TYPE"),
        "html_claiming_jpeg": (HTML, "UNSUPPORTED_MEDIA_TYPE"),
        "svg_with_script": (SVG, "UNSUPPORTED_MEDIA_TYPE"),
        "gif": (encode(noisy_image(32, 32).convert("P"), "GIF"), "UNSUPPORTED_MEDIA_TYPE"),
        "hls_playlist": (HLS, "UNSUPPORTED_MEDIA_TYPE"),
        "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "UNSUPPORTED_MEDIA_TYPE"),
        "random_bytes": (b"\x00\x01" + random.randbytes(10_000), "UNSUPPORTED_MEDIA_TYPE"),
        "empty": (b"", "MEDIA_EMPTY"),
        "truncated_jpeg": (full_jpeg[: len(full_jpeg) * 6 // 10], "MEDIA_TRUNCATED"),
        "truncated_png": (encode(noisy_image(200, 200), "PNG")[:3000], "MEDIA_TRUNCATED"),
        "corrupt_png": (corrupt_png(), "MEDIA_MALFORMED"),
        "jpeg_header_only": (full_jpeg[:4] + b"\x00" * 20, "MEDIA_MALFORMED"),
        "mp4_sent_as_photo": (fake_mp4(), "UNSUPPORTED_MEDIA_TYPE"),
    }


# ---------------------------------------------------------------- benign photos


def _rational(value: float) -> tuple[float, float, float]:
    """Decimal degrees to EXIF (deg, min, sec)."""
    value = abs(value)
    deg = int(value)
    minutes = int((value - deg) * 60)
    return float(deg), float(minutes), round((value - deg - minutes / 60) * 3600, 4)


def camera_jpeg(lat: float, lon: float, orientation: int = 6, size: tuple[int, int] = (600, 400)) -> bytes:
    """A 'phone photo': left half red, right half blue, with GPS, camera EXIF, XMP, ICC and a comment."""
    width, height = size
    image = Image.new("RGB", size, (220, 20, 20))
    ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(20, 20, 220))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "HienTruongCam"  # Make
    exif[0x0110] = "Model-XYZ-1234"  # Model
    exif[0x0131] = "SecretFirmware 1.0"  # Software
    gps = exif.get_ifd(0x8825)
    gps.update(
        {1: "N" if lat >= 0 else "S", 2: _rational(lat), 3: "E" if lon >= 0 else "W", 4: _rational(lon)}
    )
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="SecretTool"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        image, "JPEG", quality=92, exif=exif, xmp=xmp, icc_profile=icc, comment=b"reporter phone 0912345678"
    )


def face_photo(
    size: tuple[int, int] = (1200, 800), face_px: int = 320, at: tuple[int, int] = (360, 400)
) -> bytes:
    """A drawn face (skin oval, dark eyes and brows, mouth) that OpenCV's frontal cascade detects.

    The rest of the picture is a striped scene so that 'the rest is unchanged' is a real check.
    """
    import cv2

    width, height = size
    canvas = np.full((height, width, 3), 60, np.uint8)
    for x in range(0, width, 40):  # scene: vertical stripes far from the face
        canvas[:, x : x + 20] = (90, 120, 90)
    cx, cy = at
    s = face_px / 400
    cv2.ellipse(canvas, (cx, cy), (int(140 * s) + 40, int(190 * s) + 40), 0, 0, 360, (60, 60, 60), -1)
    cv2.ellipse(canvas, (cx, cy), (int(140 * s), int(190 * s)), 0, 0, 360, (200, 170, 150), -1)
    cv2.ellipse(canvas, (cx, cy - int(160 * s)), (int(150 * s), int(80 * s)), 0, 180, 360, (50, 40, 40), -1)
    for dx in (-60, 60):
        cv2.ellipse(
            canvas,
            (cx + int(dx * s), cy - int(40 * s)),
            (int(32 * s), int(16 * s)),
            0,
            0,
            360,
            (40, 40, 40),
            -1,
        )
        cv2.line(
            canvas,
            (cx + int((dx - 36) * s), cy - int(76 * s)),
            (cx + int((dx + 36) * s), cy - int(76 * s)),
            (60, 50, 50),
            max(1, int(10 * s)),
        )
    cv2.line(canvas, (cx, cy - int(20 * s)), (cx, cy + int(50 * s)), (170, 140, 120), max(1, int(8 * s)))
    cv2.ellipse(canvas, (cx, cy + int(60 * s)), (int(24 * s), int(12 * s)), 0, 0, 360, (160, 130, 110), -1)
    cv2.ellipse(canvas, (cx, cy + int(100 * s)), (int(56 * s), int(16 * s)), 0, 0, 360, (140, 60, 60), -1)
    region = canvas[cy - int(260 * s) : cy + int(260 * s), cx - int(220 * s) : cx + int(220 * s)]
    region[:] = cv2.GaussianBlur(region, (0, 0), 6 * s)
    return encode(Image.fromarray(canvas, "RGB"), "JPEG", quality=95)


# ---------------------------------------------------------------- videos


def make_video(
    path: Path,
    seconds: float,
    *,
    size: str = "320x240",
    fps: int = 25,
    codec: str = "libx264",
    audio: str | None = "aac",
    fmt: str = "mp4",
    metadata: dict[str, str] | None = None,
) -> Path:
    """Render an ffmpeg `testsrc` clip (plus a sine tone) to path."""
    source = f"testsrc=size={size}:rate={fps}:duration={seconds}"
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", audio]
    args += ["-c:v", codec, "-pix_fmt", "yuv420p"]
    if codec == "libx264":
        args += ["-preset", "ultrafast"]
    if codec.startswith("libvpx"):
        args += ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"]
    for key, value in (metadata or {}).items():
        args += ["-metadata", f"{key}={value}"]
    if fmt == "mov":
        args += ["-movflags", "+use_metadata_tags"]
    args += ["-f", fmt, str(path)]
    subprocess.run(args, check=True, timeout=120)
    return path


def write(path: Path, data: bytes) -> Path:
    """Write bytes and return the path."""
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- "quickly", on an idle or a loaded machine

QUICK_S = 1.0  # what "refused quickly" means on an idle machine


def seconds_of(fn, *args, **kwargs) -> float:
    """Wall-clock seconds of one call (its exceptions propagate)."""
    import time

    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def quick_bound(factor: float, *baselines: float) -> float:
    """The time a refusal may take: QUICK_S, or `factor` times the slowest baseline measured around it — a
    piece of real work of the same kind (a small valid file processed, one ffprobe) timed on the same machine
    at the same moment. On a loaded CI machine everything slows together: the test still fails a refusal that
    does the work a hostile file asks for (decoding a bomb, reading a whole long video), not one that waited
    for a CPU."""
    return max(QUICK_S, factor * max(baselines))


def photo_baseline() -> float:
    """Seconds to process a small valid photo now (decode, orient, blur check, renditions)."""
    from services.media.processing import process_photo

    return seconds_of(process_photo, jpeg(640, 480))


# ---------------------------------------------------------------- measurement in a fresh process


def _rss_kb() -> int:
    """Peak resident set size of this process (KiB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_refusals(names: list[str] | None = None) -> list[dict]:
    """In a fresh process: refuse each corpus entry, recording code, seconds, peak-RSS growth, traced peak."""
    import time
    import tracemalloc

    from services.media.processing import MediaError, process_photo

    corpus = hostile_corpus()
    process_photo(jpeg(64, 64))  # warm up imports and decoders so they are not counted
    rows = []
    for name in names or list(corpus):
        data, expected = corpus[name]
        baseline = photo_baseline()
        before = _rss_kb()
        tracemalloc.start()
        started = time.perf_counter()
        code = None
        try:
            process_photo(data)
        except MediaError as exc:
            code = exc.code
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "name": name,
                "expected": expected,
                "code": code,
                "seconds": elapsed,
                "baseline": baseline,
                "rss_growth_kb": _rss_kb() - before,
                "traced_peak": peak,
                "input_bytes": len(data),
            }
        )
    return rows
