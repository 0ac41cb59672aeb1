"""Use cases: what intake tells media about a file's visibility, and the retention of originals.

- `report.media_visibility_changed`: an operator hid a file (or showed it again); its public renditions stop
  (or resume) being served at once — intake already keeps it out of every public list.
- Retention (docs/privacy.md): the private original of a file — the only copy with its metadata and unblurred
  faces — is deleted once its renditions exist and its case has been closed for `originals_after_close`; the
  renditions stay. A daily job (an hourly timer; the replica that claims the day runs it) and an RPC to run it
  now; both idempotent (`original_deleted_at`, rows locked with SKIP LOCKED). When intake cannot say which cases
  are closed, nothing is deleted.
"""
from __future__ import annotations

from datetime import datetime

from nameko.events import event_handler

from libs.contracts.common import utcnow
from libs.contracts.events import ReportMediaVisibilityChangedV1
from libs.platform.events import consumes
from libs.platform.retention import DailyRetention

from . import repository as repo
from .base import MediaBase
from .intake_client import case_closures
from .models import retention_runs



class Retention(DailyRetention, MediaBase):
    """handle_media_visibility_changed; retention_daily, apply_retention (libs.platform.retention): originals."""

    retention_job, retention_table = "media.retention", retention_runs

    @event_handler("intake", "report.media_visibility_changed", requeue_on_error=True)
    @consumes(ReportMediaVisibilityChangedV1)
    def handle_media_visibility_changed(self, event: ReportMediaVisibilityChangedV1) -> None:
        """Hide (or show again) a file's public renditions."""
        repo.update_of_report(self.db, event.media_id, event.report_id, hidden=event.hidden, updated_at=utcnow())
        self.db.commit()

    def retention_pass(self, now: datetime, batch: int = 200) -> dict[str, int]:
        """Batches of files with renditions whose original is kept, oldest first, until none is due."""
        cutoff, deleted, after_id = now - self.settings.originals_after_close, 0, None
        while rows := repo.originals_kept(self.db, now - self.settings.originals_after_close, batch, after_id):
            after_id = rows[-1].id
            closed = case_closures(self.intake, sorted({r.report_id for r in rows}), self.settings.intake_timeout_s)
            if closed is None:  # intake cannot say: decide nothing now
                self.db.rollback()
                break
            due = [r for r in rows if closed.get(r.report_id) and datetime.fromisoformat(closed[r.report_id]) < cutoff]
            for row in due:
                repo.update(self.db, row.id, original_deleted_at=now, updated_at=now)
            self.db.commit()
            self.objects.delete_quietly(r.object_key for r in due)
            deleted += len(due)
        return {"originals_deleted": deleted}
