"""Use case: upload — a presigned slot under a random key, then the confirmation that checks and processes it.

Photos are processed during the confirmation (in the pool, a second or so), so the uploader learns at once
whether the file was refused and why. Videos get their quick checks (container, ffprobe, pixels, duration)
during the confirmation and are rendered afterwards by the worker timer (`processing: true` meanwhile).
"""
from __future__ import annotations

import logging
import os
import tempfile
import uuid

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.media import ConfirmUpload, CreateUpload, ImportUrl, UploadSlot
from libs.platform.errors import ServiceError, parse

from . import repository as repo
from .base import AGENCY_ROLES, MediaBase
from .fetch import FetchRefused, fetch_to_file
from .intake_client import agency_holds_now
from .pipeline import Outcome, new_key
from .policy import upload_refusal
from .processing import MediaError
from .processing.errors import MediaProcessingFailed

log = logging.getLogger(__name__)



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
        self._check_uploader(cmd)
        if repo.count_active(self.db, cmd.report_id, cmd.role) >= self.settings.max_per_report:
            raise ServiceError(ErrorCode.TOO_MANY_MEDIA, f"at most {self.settings.max_per_report} files per report")
        now = utcnow()
        media_id, key = uuid.uuid4(), new_key("originals", now)
        repo.insert(self.db, id=media_id, report_id=cmd.report_id, role=cmd.role, object_key=key, slot_key=key,
                    declared_type=cmd.content_type, size=cmd.size, created_at=now, updated_at=now,
                    uploader_role=cmd.actor.role if cmd.actor else "citizen",
                    uploader_agency=cmd.actor.agency if cmd.actor else None)
        self.db.commit()
        ttl = self.settings.upload_ttl
        return UploadSlot(media_id=media_id, put_url=self.objects.presign_put(key, ttl), expires_at=now + ttl,
                          max_size=limit).model_dump(mode="json")

    def _check_uploader(self, cmd: CreateUpload) -> None:
        """Who adds which file (policy.upload_refusal); an agency only to a case it holds now, as handler or
        co-handler (intake decides; unknown → refuse): a past holder reads the case but adds nothing to it."""
        refusal = upload_refusal(cmd.role, cmd.actor.role if cmd.actor else None)
        if refusal:
            raise ServiceError(ErrorCode.FORBIDDEN, refusal, [{"field": "role", "message": refusal,
                                                               "type": "forbidden"}])
        if cmd.actor is None or cmd.actor.role not in AGENCY_ROLES:
            return
        holds = agency_holds_now(self.intake, cmd.report_id, cmd.actor.model_dump(mode="json"),
                                 self.settings.intake_timeout_s)
        if holds is None:
            raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, "intake did not answer: try again")
        if not holds:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id} held by this agency")

    @rpc(expected_exceptions=ServiceError)
    def confirm_upload(self, media_id: str | None = None, payload: dict | None = None) -> dict:
        """Check the uploaded bytes and process them; answers ready, rejected(reason) or pending (processing).

        Idempotent: a file already confirmed is answered with its current state.
        """
        cmd = parse(ConfirmUpload, payload if payload is not None else {"media_id": media_id})
        row = self._row(cmd.media_id, lock=True)
        if row.state != "pending" or row.confirmed_at is not None:
            self.db.rollback()
            return self._view(row, self._audience(cmd.actor, row.report_id, cmd.tracking_token, cmd.client),
                              actor=cmd.actor, grant=cmd.grant)
        outcome = self._confirm(row)
        row = self._row(row.id)
        return self._view(row, self._audience(cmd.actor, row.report_id, cmd.tracking_token, cmd.client), outcome,
                          cmd.actor, cmd.grant)

    def _confirm(self, row) -> Outcome | None:
        """Close the slot, precheck, record the confirmation, then process (photos) or inspect (videos)."""
        now = utcnow()
        slot = row.object_key if row.slot_key is not None else None  # a fetched file has no slot to close
        if self.objects.stat(row.object_key) is None:
            self.db.rollback()
            if now > row.created_at + self.settings.upload_ttl:
                raise ServiceError(ErrorCode.MEDIA_EXPIRED, "the upload slot expired before any upload")
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, "nothing was uploaded to this slot yet")
        if slot is not None:
            row = self._close_slot(row, now)
        try:
            info = self.objects.stat(row.object_key)
            sniffed = self._pipeline().precheck(row.object_key, info.size if info else 0)
        except MediaProcessingFailed:
            self.db.rollback()
            if slot is not None:
                self.objects.delete_quietly([row.object_key])  # the row still names the slot: confirm again
            raise ServiceError(ErrorCode.MEDIA_PROCESSING_FAILED, "the object store did not answer: retry") from None
        except MediaError as exc:
            self._reject(row, exc.code, size=info.size if info else 0)
            self.objects.delete_quietly([slot] if slot else [])
            return None
        lease = self.settings.lease(sniffed.kind)
        repo.update(self.db, row.id, confirmed_at=now, kind=sniffed.kind, content_type=sniffed.mime,
                    size=info.size, updated_at=now, next_attempt_at=now + lease)
        self.db.commit()
        self.objects.delete_quietly([slot] if slot else [])  # written again before its URL expires: swept later
        if sniffed.kind == "video":
            return self._inspect_video(row)
        claimed = repo.claim(self.db, row.id, utcnow(), lease)
        self.db.commit()
        return self._attempt(claimed) if claimed is not None else None

    @rpc(expected_exceptions=ServiceError)
    def import_url(self, payload: dict) -> dict:
        """A photo or video a partner named by URL (Open311 `media_url`), as the reporter's evidence: fetched with
        the guards of `fetch.py`, then checked and processed like an upload. A link that cannot be fetched is
        kept on a `rejected(MEDIA_FETCH_FAILED)` file for staff (`source_url`, operators only)."""
        cmd = parse(ImportUrl, payload)
        if repo.count_active(self.db, cmd.report_id, "evidence") >= self.settings.max_per_report:
            raise ServiceError(ErrorCode.TOO_MANY_MEDIA, f"at most {self.settings.max_per_report} files per report")
        now = utcnow()
        media_id, key = uuid.uuid4(), new_key("originals", now)
        repo.insert(self.db, id=media_id, report_id=cmd.report_id, role="evidence", object_key=key,
                    declared_type="", size=None, created_at=now, updated_at=now, uploader_role="open311",
                    source_url=cmd.url)
        self.db.commit()
        with tempfile.TemporaryDirectory(prefix="media-fetch-") as work:
            try:
                fetched = fetch_to_file(cmd.url, os.path.join(work, "body"), max_bytes=self.settings.max_slot_bytes,
                                        timeout_s=self.settings.fetch_timeout_s,
                                        max_redirects=self.settings.fetch_max_redirects,
                                        allow_hosts=self.settings.fetch_allow_hosts)
            except FetchRefused as exc:
                log.info("media %s: %s not fetched: %s", media_id, cmd.url, exc.reason)
                self._reject(self._row(media_id, lock=True), ErrorCode.MEDIA_FETCH_FAILED.value,
                             last_error=exc.reason[:500])
                return self._view(self._row(media_id), None)
            self.objects.put_file(key, fetched.path, fetched.content_type or "application/octet-stream")
        row = self._row(media_id, lock=True)
        outcome = self._confirm(row)
        return self._view(self._row(media_id), None, outcome)

    def _close_slot(self, row, now):
        """Copy the uploaded bytes to a fresh key no presigned URL names, and make it the file's original (not yet
        committed): a second PUT to the slot changes nothing that is processed, served or redacted later."""
        private = new_key("originals", now)
        try:
            self.objects.copy(row.object_key, private)
        except Exception as exc:  # store down or the object vanished: nothing changed, the client may retry
            self.db.rollback()
            log.warning("media %s: copy out of the upload slot failed: %s", row.id, type(exc).__name__)
            raise ServiceError(ErrorCode.MEDIA_PROCESSING_FAILED, "the object store did not answer: retry") from None
        repo.update(self.db, row.id, object_key=private, updated_at=now)
        return self._row(row.id)

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
