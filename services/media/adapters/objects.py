"""The private bucket, with what media needs beyond `MediaBucket`: stream to and from local files.

Uploads never pass through this process's memory whole: an original is streamed in chunks into a private
temporary file (counting bytes, so an object larger than its limit is cut off), and a rendered video is
uploaded from its file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from libs.platform.objectstore import MinioBucket

from ..processing import spool_to_file

log = logging.getLogger(__name__)
CHUNK = 256 * 1024


class MinioMediaObjects(MinioBucket):
    """`MinioBucket` with chunked transfers to and from files."""

    def spool(self, key: str, path: str, max_bytes: int) -> int:
        """Stream an object into a new 0600 file; may raise MediaTooLarge/MediaEmpty (file removed)."""
        resp = self.client.get_object(self.bucket, key)
        try:
            return spool_to_file(resp.stream(CHUNK), path, max_bytes)
        finally:
            resp.close()
            resp.release_conn()

    def put_file(self, key: str, path: str, content_type: str) -> int:
        """Upload a local file; returns its size."""
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            self.client.put_object(self.bucket, key, handle, size, content_type=content_type)
        return size

    def delete_quietly(self, keys: Iterable[str]) -> None:
        """Remove objects, logging (not raising) failures: the sweeper or an operator can retry."""
        for key in keys:
            try:
                self.client.remove_object(self.bucket, key)
            except Exception as exc:  # store down: the row says what is left to remove
                log.warning("could not remove object %s: %s", key, type(exc).__name__)


def objects_from_config(config: dict) -> MinioMediaObjects:
    """Build from the S3_* settings (same keys as libs.platform.objectstore)."""
    return MinioMediaObjects(
        config["S3_ENDPOINT"],
        config["S3_ACCESS_KEY"],
        config["S3_SECRET_KEY"],
        config["S3_BUCKET"],
        public_endpoint=config.get("S3_PUBLIC_ENDPOINT") or None,
        region=config.get("S3_REGION", "us-east-1"),
    )
