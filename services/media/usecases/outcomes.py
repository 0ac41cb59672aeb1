"""Shared by the media use cases: load a file, decide who sees what, and turn a processing outcome into state.

Every outcome is state: ready (renditions stored, `media.stored`), rejected with the error code
(`media.rejected`, the original removed), or, when our side failed, a later attempt with back-off.
"""
from __future__ import annotations

import logging
import time
import uuid
from uuid import UUID

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import MediaRejectedV1, MediaStoredV1
from libs.contracts.lifecycle import ActorRef
from libs.contracts.media import LocationHint
from libs.platform import metrics
from libs.platform.errors import ServiceError

from . import repository as repo
from .intake_client import agency_holds, record_unblurred, report_facts
from .pipeline import Outcome, Pipeline
from .policy import AGENCY_ROLES, Audience, GiveUp, after_failure, audience_for, reject_code, unblurred
from .processing import MediaError, Region
from .processing.errors import MediaProcessingFailed
from .views import media_view

log = logging.getLogger(__name__)


def hint_view(outcome: Outcome | None) -> LocationHint | None:
    """The location found in the original, as offered to the uploader."""
    hint = outcome.location_hint if outcome else None
    return LocationHint(lat=hint.lat, lon=hint.lon, source=hint.source) if hint else None


class MediaBase:
    """Helpers of the use-case mixins; `db`, `objects`, `settings` and `intake` are MediaService's."""

    def _row(self, media_id, lock: bool = False):
        """The upload row; may raise MEDIA_NOT_FOUND."""
        try:
            mid = media_id if isinstance(media_id, UUID) else uuid.UUID(str(media_id))
        except ValueError:
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"no media {media_id}") from None
        row = repo.get(self.db, mid, lock=lock)
        if row is None:
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"no media {media_id}")
        return row

    def _audience(self, actor: ActorRef | None, report_id: UUID, token: str | None,
                  client=None) -> Audience | None:
        """Operators: unblurred; others: public renditions if intake shows them the report (else nothing).
        May raise RATE_LIMITED (intake counts wrong tokens per IP)."""
        if actor is not None and actor.role == "operator":
            return "operator"
        facts = report_facts(self.intake, report_id, token, self.settings.intake_timeout_s,
                             client.model_dump(mode="json") if client else None)
        shown = facts.public if facts else None
        if shown is False and actor is not None and actor.role in AGENCY_ROLES:  # a case routed unverified (urgent)
            shown = agency_holds(self.intake, report_id, actor.model_dump(mode="json"),
                                 self.settings.intake_timeout_s)
        return audience_for(actor, shown)

    def _view(self, row, audience: Audience | None, outcome: Outcome | None = None,
              actor: ActorRef | None = None, grant: str | None = None) -> dict:
        stored = repo.renditions_of(self.db, [row.id]).get(row.id, [])
        self._audit_unblurred([row], {row.id: stored}, audience, actor, grant)
        return media_view(row, stored, audience, self._presign, hint_view(outcome)).model_dump(mode="json")

    def _views(self, rows, audience: Audience | None, actor: ActorRef | None = None,
               grant: str | None = None) -> list[dict]:
        stored = repo.renditions_of(self.db, [r.id for r in rows])
        self._audit_unblurred(rows, stored, audience, actor, grant)
        return [media_view(r, stored.get(r.id, []), audience, self._presign).model_dump(mode="json") for r in rows]

    def _audit_unblurred(self, rows, stored: dict, audience: Audience | None, actor: ActorRef | None,
                         grant: str | None = None) -> None:
        """Unblurred renditions are shown to staff only after intake verified the gateway's grant and audited
        the read (like a read of the sealed identity); may raise FORBIDDEN (no valid grant: the `actor` alone
        is not believed) or UPSTREAM_UNAVAILABLE when intake could not record it."""
        if audience != "operator":
            return
        seen = [r for r in rows if r.state == "ready" and unblurred(stored.get(r.id, []))]
        if not seen:
            return
        if actor is None:
            raise ServiceError(ErrorCode.FORBIDDEN, "unblurred media is shown to a named operator only")
        for report_id in {r.report_id for r in seen}:
            ids = [r.id for r in seen if r.report_id == report_id]
            if not record_unblurred(self.intake, report_id, actor.model_dump(mode="json"), ids,
                                    self.settings.intake_timeout_s, grant):
                raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, "the access could not be audited: try again")

    def _presign(self, key: str) -> str:
        return self.objects.presign_get(key, self.settings.get_url_ttl)

    def _pipeline(self) -> Pipeline:
        return Pipeline(self.objects, self.settings)

    # ---------------------------------------------------------------- one processing attempt

    def _attempt(self, row) -> Outcome | None:
        """Process a claimed file (the claim was committed); commits the outcome. Returns it when ready."""
        regions = [Region(**r) for r in row.redactions or []]
        started = time.perf_counter()
        try:
            outcome = self._pipeline().process(row.object_key, row.kind, regions, utcnow())
        except MediaProcessingFailed as exc:
            metrics.MEDIA_PROCESSING.labels(row.kind, "failed").observe(time.perf_counter() - started)
            self._failed(row, exc)
            return None
        except MediaError as exc:
            metrics.MEDIA_PROCESSING.labels(row.kind, "rejected").observe(time.perf_counter() - started)
            self._reject(row, exc.code)
            return None
        metrics.MEDIA_PROCESSING.labels(row.kind, "ready").observe(time.perf_counter() - started)
        self._ready(row, outcome)
        return outcome

    def _ready(self, row, outcome: Outcome) -> None:
        now = utcnow()
        finished = repo.finish(self.db, row.id, "ready", width=outcome.width, height=outcome.height,
                               duration=outcome.duration, faces_found=outcome.faces_found, last_error=None,
                               video_public=outcome.kind == "video" and outcome.faces_found == 0, updated_at=now)
        if not finished:  # another instance got there first: ours are spare copies
            self.db.rollback()
            self.objects.delete_quietly(s.object_key for s in outcome.renditions)
            return
        stale = repo.replace_renditions(self.db, row.id, outcome.renditions)
        self.db.emit(MediaStoredV1(media_id=row.id, report_id=row.report_id, role=row.role,
                                   content_type=row.content_type or outcome.mime, size=row.size or 0))
        self.db.commit()
        self.objects.delete_quietly(stale)

    def _reject(self, row, code: str, **values) -> None:
        """Refuse the file for good: state, event, and the original (and any rendition) removed."""
        reason = reject_code(code)
        if not repo.finish(self.db, row.id, "rejected", reject_reason=reason, updated_at=utcnow(), **values):
            self.db.rollback()
            return
        stale = repo.drop_renditions(self.db, row.id)
        self.db.emit(MediaRejectedV1(media_id=row.id, report_id=row.report_id, reason=reason))
        self.db.commit()
        self.objects.delete_quietly([row.object_key, *stale])
        metrics.MEDIA_REJECTED.labels(reason).inc()
        log.info("media %s rejected: %s", row.id, reason)

    def _failed(self, row, exc: MediaProcessingFailed) -> None:
        """Our side failed: try again later with back-off, or give up after the last attempt."""
        s = self.settings
        decision = after_failure(row.attempts, s.max_attempts, utcnow(), s.retry_base, s.retry_cap)
        log.warning("media %s attempt %d failed: %s", row.id, row.attempts, exc.detail)
        if isinstance(decision, GiveUp):
            self._reject(row, decision.reason, last_error=exc.detail[:500])
            return
        repo.update(self.db, row.id, last_error=exc.detail[:500], next_attempt_at=decision.at, updated_at=utcnow())
        self.db.commit()
