"""The media service: photos and videos of reports, checked from their bytes and kept in a private bucket.

Consumes: intake `report.media_visibility_changed` (asks intake at read time whether a report is shown to the
public, which case closed when, and to audit unblurred views).
Emits: `media.stored` (a file is ready: intake attaches it), `media.rejected` (refused, with the reason).
"""
from __future__ import annotations

from nameko.rpc import RpcProxy, rpc

from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.telemetry import Telemetry

# modules, not classes: `nameko run` serves every top-level class with entrypoints in this module
from . import reads, retention, review, uploads, worker
from .dependencies import Processing
from .models import inbox, outbox
from .store import MediaStore


class MediaService(uploads.Uploads, reads.Reads, review.Review, worker.Worker, retention.Retention):
    """Upload slots, checks and processing of the bytes, renditions per audience, short-lived read URLs."""

    name = "media"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry()
    objects = MediaStore()
    settings = Processing()
    intake = RpcProxy("intake")

    @rpc
    def health(self) -> dict:
        """Whether the database and the object store answer."""
        db_ok, s3_ok = self.db.ping(), self.objects.ping()
        return ServiceHealth(service=self.name, ok=db_ok and s3_ok,
                             checks={"database": db_ok, "object_store": s3_ok}).model_dump(mode="json")
