"""Byte surgery for the hostile corpus: JPEG segments, PNG chunks, TIFF/EXIF, ICC, ISO-BMFF boxes."""

from __future__ import annotations

import struct
import zlib

SECRET = b"SECRET-4f2c"  # planted in every piece of metadata; must never reach a stored file
PHONE = b"0912345678"


# ---------------------------------------------------------------- JPEG


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    """One JPEG marker segment (length field covers itself, not the marker); payload ≤ 65533 bytes."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_insert(jpeg: bytes, *segments: bytes) -> bytes:
    """Insert segments right after SOI."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def jpeg_patch_sof(jpeg: bytes, width: int, height: int) -> bytes:
    """Claim other dimensions in the first SOF0/SOF2 header."""
    data = bytearray(jpeg)
    sof = min(i for i in (data.find(b"\xff\xc0"), data.find(b"\xff\xc2")) if i >= 0)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def exif_app1(tiff: bytes) -> bytes:
    return jpeg_segment(0xE1, b"Exif\x00\x00" + tiff)


def xmp_app1(xml: bytes) -> bytes:
    return jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xml)


def icc_app2(profile: bytes, chunk: int = 65_000) -> list[bytes]:
    """An ICC profile split over APP2 segments as the spec says (sequence numbers from 1)."""
    parts = [profile[i : i + chunk] for i in range(0, len(profile), chunk)] or [b""]
    return [
        jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes([n + 1, len(parts)]) + p) for n, p in enumerate(parts)
    ]


def iptc_app13(byline: bytes) -> bytes:
    """A Photoshop APP13 with an IPTC-NAA resource holding By-line and Caption."""
    iptc = b"".join(
        b"\x1c\x02" + bytes([tag]) + struct.pack(">H", len(v)) + v
        for tag, v in ((80, byline), (120, b"caption " + SECRET))
    )
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    if len(iptc) % 2:
        resource += b"\x00"
    return jpeg_segment(0xED, b"Photoshop 3.0\x00" + resource)


# ---------------------------------------------------------------- TIFF / EXIF


def tiff(
    entries: list[tuple[int, int, int, bytes]],
    *,
    next_ifd: int = 0,
    order: bytes = b"MM",
    magic: int = 42,
    count_override: int | None = None,
) -> bytes:
    """A one-IFD TIFF; each entry is (tag, type, count, value bytes). Values > 4 bytes go after the IFD."""
    e = ">" if order == b"MM" else "<"
    head = order + struct.pack(e + "HI", magic, 8)
    table_end = 8 + 2 + 12 * len(entries) + 4
    extra = b""
    rows = b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            field = value.ljust(4, b"\x00")
        else:
            field = struct.pack(e + "I", table_end + len(extra))
            extra += value + (b"\x00" if len(value) % 2 else b"")
        rows += struct.pack(e + "HHI", tag, kind, count) + field
    count = len(entries) if count_override is None else count_override
    return head + struct.pack(e + "H", count) + rows + struct.pack(e + "I", next_ifd) + extra


def ascii_entry(tag: int, text: bytes) -> tuple[int, int, int, bytes]:
    value = text + b"\x00"
    return tag, 2, len(value), value


def short_entry(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return tag, 3, 1, struct.pack(">H", value)


def long_entry(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return tag, 4, 1, struct.pack(">I", value)


def rational_entry(tag: int, pairs: list[tuple[int, int]]) -> tuple[int, int, int, bytes]:
    return tag, 5, len(pairs), b"".join(struct.pack(">II", n, d) for n, d in pairs)


# ---------------------------------------------------------------- PNG


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_insert(png: bytes, *chunks: bytes) -> bytes:
    """Insert chunks right after IHDR."""
    end = 8 + 8 + 13 + 4
    return png[:end] + b"".join(chunks) + png[end:]


def png_patch_ihdr(png: bytes, width: int, height: int) -> bytes:
    ihdr = struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png_chunk(b"IHDR", ihdr) + png[33:]


def png_raw(width: int, height: int, bit_depth: int, colour: int, rows: bytes) -> bytes:
    """A PNG from already filtered scanlines (filter byte per row included)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows, 6))
        + png_chunk(b"IEND", b"")
    )


def png_bomb(width: int, height: int, bit_depth: int = 1, colour: int = 0) -> bytes:
    """A valid PNG of zero rows that inflates to width×height pixels (built in batches: little memory)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\x00" * (1 + (width * channels * bit_depth + 7) // 8)
    packer, idat, step = zlib.compressobj(9), bytearray(), max(1, 1_000_000 // len(row))
    for start in range(0, height, step):
        idat += packer.compress(row * min(step, height - start))
    idat += packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", bytes(idat))
        + png_chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- ICC


def icc_with_text(base: bytes, text: bytes, pad_to: int = 0) -> bytes:
    """A profile with identifying text (and padding) appended and the header's size field fixed."""
    body = base + b"desc" + text + b"\x00" * max(0, pad_to - len(base) - len(text) - 4)
    return struct.pack(">I", len(body)) + body[4:]


# ---------------------------------------------------------------- ISO-BMFF (MP4/MOV/HEIC)

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"}


def walk(data: bytes, start: int = 0, end: int | None = None, depth: int = 0):
    """Yield (offset, size, type, depth) of every box, descending into the usual containers."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield offset, size, kind, depth
        if kind in CONTAINERS:
            yield from walk(data, offset + header, offset + size, depth + 1)
        offset += size


def find_box(data: bytes, kind: bytes) -> tuple[int, int]:
    """(offset, size) of the first box of a type anywhere in the usual tree."""
    for offset, size, found, _ in walk(data):
        if found == kind:
            return offset, size
    raise KeyError(kind)


def patch(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def without_box(data: bytes, kind: bytes) -> bytes:
    offset, size = find_box(data, kind)
    return data[:offset] + data[offset + size :]
