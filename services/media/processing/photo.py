"""The photo pipeline: sniff → guard → read GPS → decode → orient → strip → faces → derivatives.

Polyglots are NEUTRALISED, not refused: only the sniffed decoder is allowed, and every output is a
fresh JPEG encoded from decoded pixels, so anything appended after the image (a ZIP, HTML, a Motion
Photo's MP4) or hidden in metadata segments (EXIF, XMP, ICC, comments) is dropped. Files whose leading
bytes are not an accepted image (ZIP, HTML, SVG, GIF, PDF...) are refused with UNSUPPORTED_MEDIA_TYPE.
Outputs are JPEG (not WebP) because every agency system, mail client and Open311 consumer reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PIL import Image

from .errors import UnsupportedMediaType
from .faces import Region, blur_boxes, detect_faces, redact
from .images import check_jpeg_scans, decode, encode_jpeg, open_guarded, orient, resized, to_srgb
from .limits import MediaLimits, check_declared_length
from .location import gps_from_image
from .results import Box, Derivative, MediaResult
from .sniff import SNIFF_BYTES, sniff

DEFAULT_LIMITS = MediaLimits()


def process_photo(
    data: bytes, limits: MediaLimits = DEFAULT_LIMITS, redactions: Sequence[Region] = ()
) -> MediaResult:
    """Validate and re-encode one photo; redaction pixel coordinates refer to the oriented master.

    May raise MEDIA_EMPTY, MEDIA_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, IMAGE_TOO_MANY_PIXELS, MEDIA_TRUNCATED or
    MEDIA_MALFORMED (also for a JPEG with more than `max_jpeg_scans` scans; all MediaError)."""
    check_declared_length(len(data), limits.max_photo_bytes)
    sniffed = sniff(data[:SNIFF_BYTES])
    if sniffed.kind != "photo":
        raise UnsupportedMediaType("a video was sent as a photo", detected=sniffed.mime)
    with open_guarded(data, sniffed, limits.max_pixels) as image:
        if image.format == "JPEG":
            check_jpeg_scans(data, limits.max_jpeg_scans)
        hint = gps_from_image(image)  # read before anything drops the EXIF
        width, height = image.size
        decode(image, limits.master_px)
        oriented = orient(image)
        if oriented is not image and oriented.size != image.size:  # 90° or 270°: axes swap
            width, height = height, width
        clean = to_srgb(oriented)
    master = resized(clean, limits.master_px)
    faces = detect_faces(master) if limits.blur_faces else []
    sizes = {"master": limits.master_px, "card": limits.card_px, "thumb": limits.thumb_px}
    derivatives = render_set(master, sizes, faces, redactions, limits.jpeg_quality)
    return MediaResult(
        kind="photo",
        mime=sniffed.mime,
        width=width,
        height=height,
        derivatives=derivatives,
        location_hint=hint,
        faces_found=len(faces),
    )


def render_set(
    image: Image.Image,
    sizes: Mapping[str, int],
    faces: Sequence[Box],
    redactions: Sequence[Region],
    quality: int,
) -> dict[str, Derivative]:
    """Operator renditions (as is) and `public_` renditions (faces and regions blurred)."""
    public = image
    if faces:
        public = blur_boxes(public, faces)
    if redactions:
        public = redact(public, redactions)
    out: dict[str, Derivative] = {}
    for prefix, source, is_public in (("", image, False), ("public_", public, True)):
        current = source
        for name, max_px in sorted(sizes.items(), key=lambda kv: -kv[1]):  # shrink step by step
            current = resized(current, max_px)
            if is_public and public is image:  # nothing hidden: share the operator bytes
                body = out[name].body
            else:
                body = encode_jpeg(current, quality)
            out[prefix + name] = Derivative(body, "image/jpeg", current.width, current.height, is_public)
    return out
