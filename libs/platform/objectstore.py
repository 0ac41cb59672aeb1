"""The object store behind a small interface (`MediaBucket`), with a minio implementation and provider."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlparse

from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error
from nameko.extensions import DependencyProvider


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows of one object."""

    key: str
    size: int
    content_type: str | None


class MediaBucket(Protocol):
    """The only object-store operations services use."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str, length: int | None = None) -> bytes: ...
    def stat(self, key: str) -> ObjectInfo | None: ...
    def presign_put(self, key: str, expires: timedelta) -> str: ...
    def presign_get(self, key: str, expires: timedelta) -> str: ...
    def delete(self, key: str) -> None: ...
    def copy(self, source: str, target: str) -> None: ...
    def ping(self) -> bool: ...


def _client(endpoint: str, access_key: str, secret_key: str, region: str) -> Minio:
    url = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
    return Minio(
        url.netloc, access_key=access_key, secret_key=secret_key, secure=url.scheme == "https", region=region
    )


class MinioBucket:
    """A private bucket; presigned URLs are signed for the endpoint clients reach (may differ from ours)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        public_endpoint: str | None = None,
        region: str = "us-east-1",
    ):
        self.bucket = bucket
        self.client = _client(endpoint, access_key, secret_key, region)
        self.signer = _client(public_endpoint or endpoint, access_key, secret_key, region)

    def ensure(self) -> None:
        """Create the bucket if it is missing (may raise when the store is unreachable)."""
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def get(self, key: str, length: int | None = None) -> bytes:
        resp = self.client.get_object(self.bucket, key, offset=0, length=length or 0)
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise
        return ObjectInfo(key, st.size or 0, st.content_type)

    def presign_put(self, key: str, expires: timedelta) -> str:
        return self.signer.presigned_put_object(self.bucket, key, expires=expires)

    def presign_get(self, key: str, expires: timedelta) -> str:
        return self.signer.presigned_get_object(self.bucket, key, expires=expires)

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def copy(self, source: str, target: str) -> None:
        """A server-side copy within the bucket (the bytes do not pass through this process)."""
        self.client.copy_object(self.bucket, target, CopySource(self.bucket, source))

    def ping(self) -> bool:
        try:
            return self.client.bucket_exists(self.bucket)
        except Exception:
            return False


def bucket_from_config(config: dict) -> MinioBucket:
    """Build the bucket from S3_* settings."""
    return MinioBucket(
        config["S3_ENDPOINT"],
        config["S3_ACCESS_KEY"],
        config["S3_SECRET_KEY"],
        config["S3_BUCKET"],
        public_endpoint=config.get("S3_PUBLIC_ENDPOINT") or None,
        region=config.get("S3_REGION", "us-east-1"),
    )


class ObjectStore(DependencyProvider):
    """Injects the service's `MediaBucket`; the bucket is created at start-up if missing."""

    def setup(self) -> None:
        self.bucket = bucket_from_config(self.container.config)
        self.bucket.ensure()

    def get_dependency(self, worker_ctx) -> MediaBucket:
        return self.bucket
