"""Detect the media type from the leading bytes only; the client's claim is never consulted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import MediaEmpty, UnsupportedMediaType

SNIFF_BYTES = 64  # enough for every signature below

# ISO-BMFF major/compatible brands (ftyp box) that mean HEIF stills.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Brands that mean an MP4 or QuickTime movie. 'qt  ' is QuickTime proper.
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"MSNV",
    b"dash",
    b"3gp4",
    b"3gp5",
    b"3gp6",
    b"3g2a",
}
_MOV_BRANDS = {b"qt  "}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the bytes are: photo or video, and the canonical MIME type."""

    kind: Literal["photo", "video"]
    mime: str
    pillow_format: str | None = None  # restricts Pillow to the sniffed decoder
    ffmpeg_format: str | None = None  # forces ffmpeg's demuxer (no probing of playlists etc.)


JPEG = Sniffed("photo", "image/jpeg", "JPEG")
PNG = Sniffed("photo", "image/png", "PNG")
WEBP = Sniffed("photo", "image/webp", "WEBP")
HEIC = Sniffed("photo", "image/heic", "HEIF")
MP4 = Sniffed("video", "video/mp4", ffmpeg_format="mov")
QUICKTIME = Sniffed("video", "video/quicktime", ffmpeg_format="mov")
WEBM = Sniffed("video", "video/webm", ffmpeg_format="matroska")


def heif_available() -> bool:
    """True if pillow-heif is installed and registered its opener (done lazily here)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _ftyp_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of a leading ISO-BMFF ftyp box, or an empty set."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    size = int.from_bytes(head[0:4], "big")
    end = min(max(size, 16), len(head))
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType string of a leading EBML header (webm/matroska), or None."""
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    i = head.find(b"\x42\x82")  # DocType element id
    if i < 0 or i + 3 > len(head):
        return None
    length = head[i + 2] & 0x7F  # 1-byte vint: 0x80 | len
    return head[i + 3 : i + 3 + length]


def sniff(head: bytes) -> Sniffed:
    """Classify by signature; raises UNSUPPORTED_MEDIA_TYPE (GIF, SVG, HTML, ZIP, PDF...) or MEDIA_EMPTY."""
    if not head:
        raise MediaEmpty("no bytes")
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    brands = _ftyp_brands(head)
    if brands & _HEIF_BRANDS and not brands & (_MP4_BRANDS | _MOV_BRANDS) and head[8:12] != b"avif":
        if heif_available():
            return HEIC
        raise UnsupportedMediaType("HEIF without a decoder")
    if head[8:12] in _MOV_BRANDS:
        return QUICKTIME
    if brands & (_MP4_BRANDS | _MOV_BRANDS):
        return MP4
    if _ebml_doctype(head) == b"webm":
        return WEBM
    raise UnsupportedMediaType("unrecognised signature", signature=head[:8].hex())
