"""Guarded image decoding and metadata-free re-encoding with Pillow (no pipeline logic here)."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageCms, ImageFile, ImageOps

from .errors import ImageTooManyPixels, MediaError, MediaMalformed, MediaTruncated
from .sniff import Sniffed

# Never hand out a half image: a short file is an error, not a grey-padded picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False

_SRGB = ImageCms.createProfile("sRGB")


def fit_size(width: int, height: int, max_px: int) -> tuple[int, int]:
    """Size that fits in a max_px square keeping the aspect ratio (never upscales)."""
    scale = min(1.0, max_px / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def open_guarded(data: bytes, sniffed: Sniffed, max_pixels: int) -> Image.Image:
    """Open lazily with only the sniffed decoder and refuse too many pixels BEFORE any decoding."""
    # Image.open parses headers only (PNG IHDR, JPEG SOF...), so a bomb costs nothing yet.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[sniffed.pillow_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooManyPixels(str(exc), limit_pixels=max_pixels) from exc
        except MemoryError:
            raise
        except Exception as exc:  # UnidentifiedImageError, SyntaxError, struct.error, ...
            raise _map_decode_error(exc) from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise MediaMalformed("zero-sized image")
    if width * height > max_pixels:
        raise ImageTooManyPixels(f"{width}x{height}", width=width, height=height, limit_pixels=max_pixels)
    if image.format == "PNG":
        _verify_png(data)
    return image


def jpeg_scans(data: bytes) -> int:
    """How many scans (SOS segments) the JPEG's image has, up to its EOI (pure: a walk over the markers).

    Each scan of a progressive JPEG makes libjpeg pass over every coefficient block of the image, so a small
    file that repeats one refinement scan thousands of times over a large frame costs minutes of CPU (a CPU
    bomb). Segments are skipped by their lengths, entropy-coded data by its markers; what follows EOI (a
    motion photo's MP4, a polyglot's ZIP) is not read."""
    at, end, scans = 2, len(data), 0
    while at + 4 <= end:
        if data[at] != 0xFF:  # entropy-coded data: go to the next marker that is not stuffing or a restart
            at = data.find(b"\xff", at)
            if at < 0:
                break
            continue
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x00 or 0xD0 <= marker <= 0xD7:  # stuffed 0xFF or a restart marker inside a scan
            at += 2
            continue
        if marker == 0xD9:  # EOI
            break
        if marker == 0xDA:
            scans += 1
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return scans


def check_jpeg_scans(data: bytes, max_scans: int) -> None:
    """Refuse a JPEG with more scans than any encoder writes (a CPU bomb), before decoding it."""
    if (scans := jpeg_scans(data)) > max_scans:
        raise MediaMalformed(
            f"JPEG with {scans} scans (at most {max_scans})", scans=scans, limit_scans=max_scans
        )


def _verify_png(data: bytes) -> None:
    """Check every chunk's CRC (the decoder skips IDAT CRCs); nothing is decompressed here."""
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
            probe.verify()
    except Exception as exc:
        raise _map_decode_error(exc) from exc


def decode(image: Image.Image, target_px: int | None = None) -> Image.Image:
    """Decode the pixels (JPEG: at a reduced scale when that still covers target_px)."""
    if target_px and image.format == "JPEG":
        image.draft("RGB", fit_size(*image.size, target_px))  # DCT scaling: less memory, faster
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except MemoryError:  # the pool's address-space cap: report as a processing failure
            raise
        except Exception as exc:
            raise _map_decode_error(exc) from exc
    return image


def _map_decode_error(exc: Exception) -> MediaError:
    """Pillow's zoo of exceptions to our two codes: truncated vs malformed."""
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text or "premature" in text:
        return MediaTruncated(type(exc).__name__)
    return MediaMalformed(type(exc).__name__)


def orient(image: Image.Image) -> Image.Image:
    """Apply EXIF orientation; a broken orientation tag leaves the pixels as stored."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # hostile EXIF: better unrotated than refused
        return image


def to_srgb(image: Image.Image) -> Image.Image:
    """Flatten alpha onto white and convert the embedded ICC profile (if any) to plain sRGB RGB."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except Exception:  # broken or exotic profile: keep the numbers, drop the profile
            pass
    rgb = image.convert("RGB") if image.mode != "RGB" else image.copy()
    rgb.info = {}  # no EXIF, ICC, XMP, comments, DPI: nothing rides along into the encoder
    return rgb


def resized(image: Image.Image, max_px: int) -> Image.Image:
    """A copy no larger than max_px on its longest side."""
    size = fit_size(*image.size, max_px)
    if size == image.size:
        return image.copy()
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Baseline-compatible progressive JPEG with no metadata segments at all (only JFIF)."""
    image.info = {}
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        quality=quality,
        optimize=True,
        progressive=True,
        exif=b"",
        icc_profile=None,
        comment=b"",
        subsampling="4:2:0",
    )
    return out.getvalue()
