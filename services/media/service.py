"""The media service: photos and videos of reports, kept in a private bucket.

Consumes: nothing yet.
Emits: `media.stored`, `media.rejected`.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from secrets import token_hex

import sqlalchemy as sa
from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import MediaRejectedV1, MediaStoredV1
from libs.contracts.health import ServiceHealth
from libs.contracts.media import CreateUpload, MediaView, UploadSlot
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.objectstore import ObjectStore
from nameko.dependency_providers import Config

from .models import inbox, outbox, uploads
from .sniff import sniff

GET_URL_TTL = timedelta(minutes=10)


class MediaService:
    """Upload slots, checks of the bytes, and short-lived read URLs."""

    name = "media"
    db = Database(outbox=outbox, inbox=inbox)
    bucket = ObjectStore()
    config = Config()

    @rpc(expected_exceptions=ServiceError)
    def create_upload(self, payload: dict) -> dict:
        """A presigned PUT URL for one file; the key is random, never from the client."""
        cmd = parse(CreateUpload, payload)
        max_size, max_count = int(self.config["MEDIA_MAX_PHOTO_BYTES"]), int(self.config["MEDIA_MAX_PER_REPORT"])
        if cmd.size > max_size:
            raise ServiceError(ErrorCode.MEDIA_TOO_LARGE, f"at most {max_size} bytes",
                               [{"field": "size", "message": f"must be ≤ {max_size}", "type": "too_large"}])
        count = self.db.execute(sa.select(sa.func.count()).select_from(uploads).where(
            uploads.c.report_id == cmd.report_id, uploads.c.state != "rejected")).scalar_one()
        if count >= max_count:
            raise ServiceError(ErrorCode.TOO_MANY_MEDIA, f"at most {max_count} files per report")
        now, media_id = utcnow(), uuid.uuid4()
        key = f"originals/{now:%Y/%m}/{token_hex(16)}"
        self.db.execute(sa.insert(uploads).values(
            id=media_id, report_id=cmd.report_id, role=cmd.role, state="pending", object_key=key,
            declared_type=cmd.content_type, size=cmd.size, created_at=now, updated_at=now))
        self.db.commit()
        ttl = timedelta(seconds=int(self.config["MEDIA_UPLOAD_TTL_S"]))
        return UploadSlot(media_id=media_id, put_url=self.bucket.presign_put(key, ttl), expires_at=now + ttl,
                          max_size=max_size).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def confirm_upload(self, media_id: str) -> dict:
        """Check the uploaded bytes (size, type from content) and mark the file ready or rejected."""
        row = self._row(media_id, lock=True)
        if row.state != "pending":
            return self._view(row)
        info = self.bucket.stat(row.object_key)
        if info is None:
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, "nothing was uploaded to this slot yet")
        mime = sniff(self.bucket.get(row.object_key, length=64))
        reason = None
        if info.size > int(self.config["MEDIA_MAX_PHOTO_BYTES"]):
            reason = ErrorCode.MEDIA_TOO_LARGE.value
        elif mime is None:
            reason = ErrorCode.UNSUPPORTED_MEDIA_TYPE.value
        values = dict(state="rejected" if reason else "ready", content_type=mime, size=info.size,
                      reject_reason=reason, updated_at=utcnow())
        self.db.execute(sa.update(uploads).where(uploads.c.id == row.id).values(**values))
        if reason:
            self.db.emit(MediaRejectedV1(media_id=row.id, report_id=row.report_id, reason=reason))
        else:
            self.db.emit(MediaStoredV1(media_id=row.id, report_id=row.report_id, role=row.role,
                                       content_type=mime, size=info.size))
        self.db.commit()
        if reason:
            self.bucket.delete(row.object_key)
        return self._view(self._row(media_id))

    @rpc(expected_exceptions=ServiceError)
    def list_media(self, report_id: str) -> list[dict]:
        """The files of a report, with read URLs for the ready ones."""
        rows = self.db.execute(sa.select(uploads).where(uploads.c.report_id == uuid.UUID(report_id))
                               .order_by(uploads.c.created_at)).all()
        return [self._view(r) for r in rows]

    @rpc
    def health(self) -> dict:
        """Whether the database and the object store answer."""
        db_ok, s3_ok = self.db.ping(), self.bucket.ping()
        return ServiceHealth(service=self.name, ok=db_ok and s3_ok,
                             checks={"database": db_ok, "object_store": s3_ok}).model_dump(mode="json")

    def _row(self, media_id: str, lock: bool = False):
        try:
            mid = uuid.UUID(str(media_id))
        except ValueError:
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"no media {media_id}") from None
        stmt = sa.select(uploads).where(uploads.c.id == mid)
        row = self.db.execute(stmt.with_for_update() if lock else stmt).first()
        if row is None:
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"no media {media_id}")
        return row

    def _view(self, row) -> dict:
        url = self.bucket.presign_get(row.object_key, GET_URL_TTL) if row.state == "ready" else None
        return MediaView(id=row.id, report_id=row.report_id, state=row.state, content_type=row.content_type,
                         size=row.size, role=row.role, reject_reason=row.reject_reason, url=url,
                         created_at=row.created_at).model_dump(mode="json")
