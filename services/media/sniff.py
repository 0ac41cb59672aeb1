"""Detect a file's type from its first bytes, never from what the client claims (walking-skeleton subset)."""
from __future__ import annotations

SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
)


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first 64 bytes, or None when it is not an accepted type."""
    for magic, offset, mime in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
