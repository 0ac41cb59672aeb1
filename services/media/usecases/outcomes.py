"""One processing attempt and its outcome as state.

Every outcome is state: ready (renditions stored, `media.stored`), rejected with the error code
(`media.rejected`, the original removed), or, when our side failed, a later attempt with back-off.
"""

from __future__ import annotations

import logging
import time

from libs.contracts.common import utcnow
from libs.contracts.events import MediaRejectedV1, MediaStoredV1
from libs.platform import metrics

from ..domain.policy import GiveUp, after_failure, reject_code
from ..processing import MediaError, Region
from ..processing.errors import MediaProcessingFailed
from ..repository import media as repo
from .context import Media
from .pipeline import Outcome

log = logging.getLogger(__name__)


def attempt(m: Media, row) -> Outcome | None:
    """Process a claimed file (the claim was committed); commits the outcome. Returns it when ready."""
    regions = [Region(**r) for r in row.redactions or []]
    started = time.perf_counter()
    try:
        outcome = m.pipeline().process(row.object_key, row.kind, regions, utcnow())
    except MediaProcessingFailed as exc:
        metrics.MEDIA_PROCESSING.labels(row.kind, "failed").observe(time.perf_counter() - started)
        failed(m, row, exc)
        return None
    except MediaError as exc:
        metrics.MEDIA_PROCESSING.labels(row.kind, "rejected").observe(time.perf_counter() - started)
        reject(m, row, exc.code)
        return None
    metrics.MEDIA_PROCESSING.labels(row.kind, "ready").observe(time.perf_counter() - started)
    ready(m, row, outcome)
    return outcome


def ready(m: Media, row, outcome: Outcome) -> None:
    """Store the renditions and announce the file (`media.stored`), unless another instance finished it
    first."""
    now = utcnow()
    finished = repo.finish(
        m.db,
        row.id,
        "ready",
        width=outcome.width,
        height=outcome.height,
        duration=outcome.duration,
        faces_found=outcome.faces_found,
        last_error=None,
        video_public=outcome.kind == "video" and outcome.faces_found == 0,
        updated_at=now,
    )
    if not finished:  # another instance got there first: ours are spare copies
        m.db.rollback()
        m.objects.delete_quietly(s.object_key for s in outcome.renditions)
        return
    stale = repo.replace_renditions(m.db, row.id, outcome.renditions)
    m.db.emit(
        MediaStoredV1(
            media_id=row.id,
            report_id=row.report_id,
            role=row.role,
            content_type=row.content_type or outcome.mime,
            size=row.size or 0,
        )
    )
    m.db.commit()
    m.objects.delete_quietly(stale)


def reject(m: Media, row, code: str, **values) -> None:
    """Refuse the file for good: state, event, and the original (and any rendition) removed."""
    reason = reject_code(code)
    if not repo.finish(m.db, row.id, "rejected", reject_reason=reason, updated_at=utcnow(), **values):
        m.db.rollback()
        return
    stale = repo.drop_renditions(m.db, row.id)
    m.db.emit(MediaRejectedV1(media_id=row.id, report_id=row.report_id, reason=reason))
    m.db.commit()
    m.objects.delete_quietly([row.object_key, *stale])
    metrics.MEDIA_REJECTED.labels(reason).inc()
    log.info("media %s rejected: %s", row.id, reason)


def failed(m: Media, row, exc: MediaProcessingFailed) -> None:
    """Our side failed: try again later with back-off, or give up after the last attempt."""
    s = m.settings
    decision = after_failure(row.attempts, s.max_attempts, utcnow(), s.retry_base, s.retry_cap)
    log.warning("media %s attempt %d failed: %s", row.id, row.attempts, exc.detail)
    if isinstance(decision, GiveUp):
        reject(m, row, decision.reason, last_error=exc.detail[:500])
        return
    repo.update(m.db, row.id, last_error=exc.detail[:500], next_attempt_at=decision.at, updated_at=utcnow())
    m.db.commit()
