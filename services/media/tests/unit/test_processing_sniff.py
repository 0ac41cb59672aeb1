"""Type detection looks at the bytes only."""

import struct

import pytest

from services.media.processing import MediaError, sniff
from services.media.tests.unit import hostile


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 32


@pytest.mark.parametrize(
    ("head", "kind", "mime"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "photo", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "photo", "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "photo", "image/webp"),
        (_ftyp(b"heic", b"mif1", b"heic"), "photo", "image/heic"),
        (_ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video", "video/mp4"),
        (_ftyp(b"mp42", b"mp42", b"isom"), "video", "video/mp4"),
        (_ftyp(b"qt  ", b"qt  "), "video", "video/quicktime"),
        (
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87" + b"\x00" * 20,
            "video",
            "video/webm",
        ),
    ],
)
def test_accepted_signatures(head, kind, mime):
    sniffed = sniff(head)
    assert (sniffed.kind, sniffed.mime) == (kind, mime)


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"", "MEDIA_EMPTY"),
        (b"GIF89a" + b"\x00" * 20, "UNSUPPORTED_MEDIA_TYPE"),
        (hostile.SVG, "UNSUPPORTED_MEDIA_TYPE"),
        (hostile.HTML, "UNSUPPORTED_MEDIA_TYPE"),
        (hostile.HLS, "UNSUPPORTED_MEDIA_TYPE"),
        (b"PK\x03\x04" + b"\x00" * 30, "UNSUPPORTED_MEDIA_TYPE"),
        (b"%PDF-1.7" + b"\x00" * 20, "UNSUPPORTED_MEDIA_TYPE"),
        (b"BM" + b"\x00" * 40, "UNSUPPORTED_MEDIA_TYPE"),  # BMP
        (b"II*\x00" + b"\x00" * 40, "UNSUPPORTED_MEDIA_TYPE"),  # TIFF
        (_ftyp(b"avif", b"avif", b"mif1"), "UNSUPPORTED_MEDIA_TYPE"),
        (_ftyp(b"M4A ", b"M4A "), "UNSUPPORTED_MEDIA_TYPE"),  # audio only
        (
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 20,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (b"RIFF\x10\x00\x00\x00AVI LIST" + b"\x00" * 20, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_refused_signatures(head, code):
    with pytest.raises(MediaError) as caught:
        sniff(head)
    assert caught.value.code == code


def test_only_leading_bytes_count():
    assert sniff(hostile.jpeg(16, 16) + hostile.HTML).mime == "image/jpeg"
    with pytest.raises(MediaError):
        sniff(hostile.HTML + hostile.jpeg(16, 16))  # a leading HTML page is never an image
