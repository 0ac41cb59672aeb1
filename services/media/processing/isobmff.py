"""Walk the top-level boxes of an MP4/QuickTime file to tell a cut-off upload from garbage."""

from __future__ import annotations

import os
import struct

from .errors import MediaMalformed, MediaTruncated

_MAX_BOXES = 10_000  # a real file has a handful of top-level boxes


def check_top_level_boxes(path: str) -> None:
    """Raise MEDIA_TRUNCATED if a box runs past the end, MEDIA_MALFORMED on junk or a missing moov."""
    size = os.path.getsize(path)
    seen: set[bytes] = set()
    offset = 0
    with open(path, "rb") as handle:
        for _ in range(_MAX_BOXES):
            if offset == size:
                break
            handle.seek(offset)
            header = handle.read(16)
            if len(header) < 8:
                raise MediaTruncated("box header cut off")
            box_size, kind = struct.unpack(">I4s", header[:8])
            if not all(0x20 <= c <= 0x7E for c in kind):
                raise MediaMalformed("box type is not printable")
            if box_size == 1:  # 64-bit size follows
                if len(header) < 16:
                    raise MediaTruncated("box header cut off")
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:  # box runs to the end of the file
                box_size = size - offset
            if box_size < 8:
                raise MediaMalformed("box smaller than its header")
            if offset + box_size > size:
                raise MediaTruncated(f"'{kind.decode()}' box runs past the end of the file")
            seen.add(kind)
            offset += box_size
        else:
            raise MediaMalformed("too many top-level boxes")
    if b"moov" not in seen:
        raise MediaMalformed("no moov box")
