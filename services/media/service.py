"""The media service: photos and videos of reports, checked from their bytes and kept in a private bucket.

Consumes: intake `report.media_visibility_changed` (asks intake at read time whether a report is shown to the
public, which case closed when, and to audit unblurred views).
Emits: `media.stored` (a file is ready: intake attaches it), `media.rejected` (refused, with the reason).

Every entrypoint validates its input and calls one use case (`usecases/`) with the worker's collaborators.
"""

from __future__ import annotations

import logging

from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from libs.contracts.events import ReportMediaVisibilityChangedV1
from libs.contracts.health import ServiceHealth
from libs.contracts.media import ConfirmUpload, CreateUpload, GetMedia, ImportUrl, ListMedia, ReviewMedia
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes
from libs.platform.retention import CHECK_INTERVAL_S
from libs.platform.telemetry import Telemetry

from .dependencies import MediaStore, Processing
from .repository.models import inbox, outbox
from .usecases import clock, reads, retention, review, uploads
from .usecases.context import Media

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 5


class MediaService:
    """Upload slots, checks and processing of the bytes, renditions per audience, short-lived read URLs."""

    name = "media"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry()
    objects = MediaStore()
    settings = Processing()  # the validated settings; starts the process pool with the service
    intake = RpcProxy("intake")

    def media(self) -> Media:
        """This worker's collaborators, for the use cases."""
        return Media(db=self.db, objects=self.objects, settings=self.settings, intake=self.intake)

    # ------------------------------------------------------------------ uploads (usecases/uploads.py)

    @rpc(expected_exceptions=ServiceError)
    def create_upload(self, payload: dict) -> dict:
        """A presigned PUT URL for one file; may raise MEDIA_TOO_LARGE, FORBIDDEN, TOO_MANY_MEDIA."""
        return uploads.create_upload(self.media(), parse(CreateUpload, payload))

    @rpc(expected_exceptions=ServiceError)
    def confirm_upload(self, media_id: str | None = None, payload: dict | None = None) -> dict:
        """Check the uploaded bytes and process them (idempotent); may raise MEDIA_NOT_FOUND,
        MEDIA_EXPIRED."""
        cmd = parse(ConfirmUpload, payload if payload is not None else {"media_id": media_id})
        return uploads.confirm_upload(self.media(), cmd)

    @rpc(expected_exceptions=ServiceError)
    def import_url(self, payload: dict) -> dict:
        """A file a partner named by URL (Open311 `media_url`), fetched, checked and processed like an
        upload."""
        return uploads.import_url(self.media(), parse(ImportUrl, payload))

    # ------------------------------------------------------------------ reads and review

    @rpc(expected_exceptions=ServiceError)
    def get_media(self, payload: dict) -> dict:
        """One file as the caller may see it; may raise MEDIA_NOT_FOUND."""
        return reads.get_media(self.media(), parse(GetMedia, payload))

    @rpc(expected_exceptions=ServiceError)
    def list_media(self, report_id: str | None = None, payload: dict | None = None) -> list[dict]:
        """The files of a report, oldest first, optionally of one role and state."""
        query = parse(ListMedia, payload if payload is not None else {"report_id": report_id})
        return reads.list_media(self.media(), query)

    @rpc(expected_exceptions=ServiceError)
    def review_media(self, payload: dict) -> dict:
        """An operator blurs regions or releases a video; may raise FORBIDDEN, MEDIA_NOT_READY."""
        return review.review_media(self.media(), parse(ReviewMedia, payload))

    # ------------------------------------------------------------------ the clock (usecases/clock.py)

    @timer(interval=1)
    def process_photos(self) -> None:
        """Photos whose earlier attempt failed (or whose lease ran out), when due."""
        clock.drain(self.media(), "photo")

    @timer(interval=1)
    def process_videos(self) -> None:
        """Confirmed videos: render the web MP4 and the poster set."""
        clock.drain(self.media(), "video")

    @timer(interval=SWEEP_INTERVAL_S)
    def sweep_orphans(self) -> None:
        """Expired and re-written upload slots, and ready files whose report intake does not know."""
        clock.sweep_orphans(self.media())

    # ------------------------------------------------------------------ visibility and retention

    @event_handler("intake", "report.media_visibility_changed", requeue_on_error=True)
    @consumes(ReportMediaVisibilityChangedV1)
    def handle_media_visibility_changed(self, event: ReportMediaVisibilityChangedV1) -> None:
        """Hide (or show again) a file's public renditions."""
        retention.change_visibility(self.media(), event)

    @timer(interval=CHECK_INTERVAL_S, eager=True)
    def retention_daily(self) -> None:
        """Once a day, in one replica: delete the originals the schedule says are due."""
        counts = retention.daily(self.media())
        if counts is not None:
            log.info("%s: %s", retention.JOB, counts)

    @rpc
    def apply_retention(self, payload: dict | None = None) -> dict:
        """Apply the retention schedule now (operations, tests); answers what was done. Idempotent."""
        return retention.apply_now(self.media())

    @rpc
    def health(self) -> dict:
        """Whether the database and the object store answer."""
        db_ok, s3_ok = self.db.ping(), self.objects.ping()
        return ServiceHealth(
            service=self.name, ok=db_ok and s3_ok, checks={"database": db_ok, "object_store": s3_ok}
        ).model_dump(mode="json")
