"""Use case: upload — a presigned slot under a random key, then the confirmation that checks and processes it.

Photos are processed during the confirmation (in the pool, a second or so), so the uploader learns at once
whether the file was refused and why. Videos get their quick checks (container, ffprobe, pixels, duration)
during the confirmation and are rendered afterwards by the clock (`processing: true` meanwhile).
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.media import ConfirmUpload, CreateUpload, ImportUrl, UploadSlot
from libs.platform.errors import ServiceError

from ..adapters.fetch import FetchRefused, fetch_to_file
from ..adapters.intake import agency_holds_now
from ..domain.policy import AGENCY_ROLES, upload_refusal
from ..processing import MediaError
from ..processing.errors import MediaProcessingFailed
from ..repository import media as repo
from .access import audience, load, view
from .context import Media
from .outcomes import attempt, reject
from .pipeline import Outcome, new_key

log = logging.getLogger(__name__)


def create_upload(m: Media, cmd: CreateUpload) -> dict:
    """A presigned PUT URL for one file; the key is random, never from the client."""
    limit = m.settings.slot_limit(cmd.content_type)
    if cmd.size > limit:  # the claim is checked here and the bytes again at confirmation
        raise ServiceError(
            ErrorCode.MEDIA_TOO_LARGE,
            f"at most {limit} bytes",
            [{"field": "size", "message": f"must be ≤ {limit}", "type": "too_large"}],
        )
    check_uploader(m, cmd)
    if repo.count_active(m.db, cmd.report_id, cmd.role) >= m.settings.max_per_report:
        raise ServiceError(ErrorCode.TOO_MANY_MEDIA, f"at most {m.settings.max_per_report} files per report")
    now = utcnow()
    media_id, key = uuid.uuid4(), new_key("originals", now)
    repo.insert(
        m.db,
        id=media_id,
        report_id=cmd.report_id,
        role=cmd.role,
        object_key=key,
        slot_key=key,
        declared_type=cmd.content_type,
        size=cmd.size,
        created_at=now,
        updated_at=now,
        uploader_role=cmd.actor.role if cmd.actor else "citizen",
        uploader_agency=cmd.actor.agency if cmd.actor else None,
    )
    m.db.commit()
    ttl = m.settings.upload_ttl
    return UploadSlot(
        media_id=media_id, put_url=m.objects.presign_put(key, ttl), expires_at=now + ttl, max_size=limit
    ).model_dump(mode="json")


def check_uploader(m: Media, cmd: CreateUpload) -> None:
    """Who adds which file (policy.upload_refusal); an agency only to a case it holds now, as handler or
    co-handler (intake decides; unknown → refuse): a past holder reads the case but adds nothing to it."""
    refusal = upload_refusal(cmd.role, cmd.actor.role if cmd.actor else None)
    if refusal:
        raise ServiceError(
            ErrorCode.FORBIDDEN, refusal, [{"field": "role", "message": refusal, "type": "forbidden"}]
        )
    if cmd.actor is None or cmd.actor.role not in AGENCY_ROLES:
        return
    holds = agency_holds_now(
        m.intake, cmd.report_id, cmd.actor.model_dump(mode="json"), m.settings.intake_timeout_s
    )
    if holds is None:
        raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, "intake did not answer: try again")
    if not holds:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id} held by this agency")


def confirm_upload(m: Media, cmd: ConfirmUpload) -> dict:
    """Check the uploaded bytes and process them; answers ready, rejected(reason) or pending (processing).

    Idempotent: a file already confirmed is answered with its current state.
    """
    row = load(m, cmd.media_id, lock=True)
    if row.state != "pending" or row.confirmed_at is not None:
        m.db.rollback()
        return view(
            m,
            row,
            audience(m, cmd.actor, row.report_id, cmd.tracking_token, cmd.client),
            actor=cmd.actor,
            grant=cmd.grant,
        )
    outcome = confirm(m, row)
    row = load(m, row.id)
    return view(
        m,
        row,
        audience(m, cmd.actor, row.report_id, cmd.tracking_token, cmd.client),
        outcome,
        cmd.actor,
        cmd.grant,
    )


def confirm(m: Media, row) -> Outcome | None:
    """Close the slot, precheck, record the confirmation, then process (photos) or inspect (videos)."""
    now = utcnow()
    slot = row.object_key if row.slot_key is not None else None  # a fetched file has no slot to close
    if m.objects.stat(row.object_key) is None:
        m.db.rollback()
        if now > row.created_at + m.settings.upload_ttl:
            raise ServiceError(ErrorCode.MEDIA_EXPIRED, "the upload slot expired before any upload")
        raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, "nothing was uploaded to this slot yet")
    if slot is not None:
        row = close_slot(m, row, now)
    try:
        info = m.objects.stat(row.object_key)
        sniffed = m.pipeline().precheck(row.object_key, info.size if info else 0)
    except MediaProcessingFailed:
        m.db.rollback()
        if slot is not None:
            m.objects.delete_quietly([row.object_key])  # the row still names the slot: confirm again
        raise ServiceError(
            ErrorCode.MEDIA_PROCESSING_FAILED, "the object store did not answer: retry"
        ) from None
    except MediaError as exc:
        reject(m, row, exc.code, size=info.size if info else 0)
        m.objects.delete_quietly([slot] if slot else [])
        return None
    lease = m.settings.lease(sniffed.kind)
    repo.update(
        m.db,
        row.id,
        confirmed_at=now,
        kind=sniffed.kind,
        content_type=sniffed.mime,
        size=info.size,
        updated_at=now,
        next_attempt_at=now + lease,
    )
    m.db.commit()
    m.objects.delete_quietly([slot] if slot else [])  # written again before its URL expires: swept later
    if sniffed.kind == "video":
        return inspect_video(m, row)
    claimed = repo.claim(m.db, row.id, utcnow(), lease)
    m.db.commit()
    return attempt(m, claimed) if claimed is not None else None


def import_url(m: Media, cmd: ImportUrl) -> dict:
    """A photo or video a partner named by URL (Open311 `media_url`), as the reporter's evidence: fetched with
    the guards of `adapters/fetch.py`, then checked and processed like an upload. A link that cannot be
    fetched is kept on a `rejected(MEDIA_FETCH_FAILED)` file for staff (`source_url`, operators only)."""
    if repo.count_active(m.db, cmd.report_id, "evidence") >= m.settings.max_per_report:
        raise ServiceError(ErrorCode.TOO_MANY_MEDIA, f"at most {m.settings.max_per_report} files per report")
    now = utcnow()
    media_id, key = uuid.uuid4(), new_key("originals", now)
    repo.insert(
        m.db,
        id=media_id,
        report_id=cmd.report_id,
        role="evidence",
        object_key=key,
        declared_type="",
        size=None,
        created_at=now,
        updated_at=now,
        uploader_role="open311",
        source_url=cmd.url,
    )
    m.db.commit()
    with tempfile.TemporaryDirectory(prefix="media-fetch-") as work:
        try:
            fetched = fetch_to_file(
                cmd.url,
                os.path.join(work, "body"),
                max_bytes=m.settings.max_slot_bytes,
                timeout_s=m.settings.fetch_timeout_s,
                max_redirects=m.settings.fetch_max_redirects,
                allow_hosts=m.settings.fetch_allow_hosts,
            )
        except FetchRefused as exc:
            log.info("media %s: %s not fetched: %s", media_id, cmd.url, exc.reason)
            reject(
                m,
                load(m, media_id, lock=True),
                ErrorCode.MEDIA_FETCH_FAILED.value,
                last_error=exc.reason[:500],
            )
            return view(m, load(m, media_id), None)
        m.objects.put_file(key, fetched.path, fetched.content_type or "application/octet-stream")
    outcome = confirm(m, load(m, media_id, lock=True))
    return view(m, load(m, media_id), None, outcome)


def close_slot(m: Media, row, now):
    """Copy the uploaded bytes to a fresh key no presigned URL names, and make it the file's original (not yet
    committed): a second PUT to the slot changes nothing that is processed, served or redacted later."""
    private = new_key("originals", now)
    try:
        m.objects.copy(row.object_key, private)
    except Exception as exc:  # store down or the object vanished: nothing changed, the client may retry
        m.db.rollback()
        log.warning("media %s: copy out of the upload slot failed: %s", row.id, type(exc).__name__)
        raise ServiceError(
            ErrorCode.MEDIA_PROCESSING_FAILED, "the object store did not answer: retry"
        ) from None
    repo.update(m.db, row.id, object_key=private, updated_at=now)
    return load(m, row.id)


def inspect_video(m: Media, row) -> Outcome | None:
    """Refuse a bad video at once; a good one is rendered by the clock."""
    try:
        outcome = m.pipeline().inspect_video(row.object_key)
    except MediaProcessingFailed:
        outcome = None  # the render re-checks everything anyway
    except MediaError as exc:
        reject(m, row, exc.code)
        return None
    values = (
        {"width": outcome.width, "height": outcome.height, "duration": outcome.duration} if outcome else {}
    )
    repo.update(m.db, row.id, next_attempt_at=utcnow(), **values)
    m.db.commit()
    return outcome
