"""Use case: upload — a presigned slot under a random key, then the confirmation that checks and processes it.

Photos are processed during the confirmation (in the pool, a second or so), so the uploader learns at once
whether the file was refused and why. Videos get their quick checks (container, ffprobe, pixels, duration)
during the confirmation and are rendered afterwards by the worker timer (`processing: true` meanwhile).
"""
from __future__ import annotations

import uuid

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.media import ConfirmUpload, CreateUpload, UploadSlot
from libs.platform.errors import ServiceError, parse

from . import repository as repo
from .base import MediaBase
from .intake_client import agency_holds
from .pipeline import Outcome, new_key
from .processing import MediaError
from .processing.errors import MediaProcessingFailed

AGENCY_ROLES = {"agency_officer", "agency_leader"}


class Uploads(MediaBase):
    """create_upload, confirm_upload."""

    @rpc(expected_exceptions=ServiceError)
    def create_upload(self, payload: dict) -> dict:
        """A presigned PUT URL for one file; the key is random, never from the client."""
        cmd = parse(CreateUpload, payload)
        limit = self.settings.slot_limit(cmd.content_type)
        if cmd.size > limit:  # the claim is checked here and the bytes again at confirmation
            raise ServiceError(ErrorCode.MEDIA_TOO_LARGE, f"at most {limit} bytes",
                               [{"field": "size", "message": f"must be ≤ {limit}", "type": "too_large"}])
        self._check_agency(cmd)
        if repo.count_active(self.db, cmd.report_id, cmd.role) >= self.settings.max_per_report:
            raise ServiceError(ErrorCode.TOO_MANY_MEDIA, f"at most {self.settings.max_per_report} files per report")
        now = utcnow()
        media_id, key = uuid.uuid4(), new_key("originals", now)
        repo.insert(self.db, id=media_id, report_id=cmd.report_id, role=cmd.role, object_key=key,
                    declared_type=cmd.content_type, size=cmd.size, created_at=now, updated_at=now,
                    uploader_role=cmd.actor.role if cmd.actor else "citizen",
                    uploader_agency=cmd.actor.agency if cmd.actor else None)
        self.db.commit()
        ttl = self.settings.upload_ttl
        return UploadSlot(media_id=media_id, put_url=self.objects.presign_put(key, ttl), expires_at=now + ttl,
                          max_size=limit).model_dump(mode="json")

    def _check_agency(self, cmd: CreateUpload) -> None:
        """An agency uploads only to a case it holds or held (intake decides; unknown → refuse)."""
        if cmd.actor is None or cmd.actor.role not in AGENCY_ROLES:
            return
        holds = agency_holds(self.intake, cmd.report_id, cmd.actor.model_dump(mode="json"),
                             self.settings.intake_timeout_s)
        if holds is None:
            raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, "intake did not answer: try again")
        if not holds:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")

    @rpc(expected_exceptions=ServiceError)
    def confirm_upload(self, media_id: str | None = None, payload: dict | None = None) -> dict:
        """Check the uploaded bytes and process them; answers ready, rejected(reason) or pending (processing).

        Idempotent: a file already confirmed is answered with its current state.
        """
        cmd = parse(ConfirmUpload, payload if payload is not None else {"media_id": media_id})
        row = self._row(cmd.media_id, lock=True)
        if row.state != "pending" or row.confirmed_at is not None:
            self.db.rollback()
            return self._view(row, self._audience(cmd.actor, row.report_id, cmd.tracking_token))
        outcome = self._confirm(row)
        row = self._row(row.id)
        return self._view(row, self._audience(cmd.actor, row.report_id, cmd.tracking_token), outcome)

    def _confirm(self, row) -> Outcome | None:
        """Precheck, record the confirmation, then process (photos) or inspect (videos)."""
        now = utcnow()
        info = self.objects.stat(row.object_key)
        if info is None:
            self.db.rollback()
            if now > row.created_at + self.settings.upload_ttl:
                raise ServiceError(ErrorCode.MEDIA_EXPIRED, "the upload slot expired before any upload")
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, "nothing was uploaded to this slot yet")
        try:
            sniffed = self._pipeline().precheck(row.object_key, info.size)
        except MediaProcessingFailed:
            self.db.rollback()
            raise ServiceError(ErrorCode.MEDIA_PROCESSING_FAILED, "the object store did not answer: retry") from None
        except MediaError as exc:
            self._reject(row, exc.code, size=info.size)
            return None
        lease = self.settings.lease(sniffed.kind)
        repo.update(self.db, row.id, confirmed_at=now, kind=sniffed.kind, content_type=sniffed.mime,
                    size=info.size, updated_at=now, next_attempt_at=now + lease)
        self.db.commit()
        if sniffed.kind == "video":
            return self._inspect_video(row)
        claimed = repo.claim(self.db, row.id, utcnow(), lease)
        self.db.commit()
        return self._attempt(claimed) if claimed is not None else None

    def _inspect_video(self, row) -> Outcome | None:
        """Refuse a bad video at once; a good one is rendered by the worker timer."""
        try:
            outcome = self._pipeline().inspect_video(row.object_key)
        except MediaProcessingFailed:
            outcome = None  # the render re-checks everything anyway
        except MediaError as exc:
            self._reject(row, exc.code)
            return None
        values = {"width": outcome.width, "height": outcome.height, "duration": outcome.duration} if outcome else {}
        repo.update(self.db, row.id, next_attempt_at=utcnow(), **values)
        self.db.commit()
        return outcome
