"""Use cases: what intake tells media about a file's visibility, and the retention of originals.

- `report.media_visibility_changed`: an operator hid a file (or showed it again); its public renditions stop
  (or resume) being served at once — intake already keeps it out of every public list.
- Retention (docs/privacy.md): the private original of a file — the only copy with its metadata and unblurred
  faces — is deleted once its renditions exist and its case has been closed for `originals_after_close`; the
  renditions stay. A daily job (an hourly timer; the replica that claims the day runs it) and an RPC to run it
  now; both idempotent (`original_deleted_at`, rows locked with SKIP LOCKED). When intake cannot say which
  cases
  are closed, nothing is deleted.
"""

from __future__ import annotations

from datetime import datetime

from libs.contracts.common import utcnow
from libs.contracts.events import ReportMediaVisibilityChangedV1
from libs.platform.retention import run_daily

from ..adapters.intake import case_closures
from ..repository import media as repo
from ..repository.models import retention_runs
from .context import Media

JOB = "media.retention"


def change_visibility(m: Media, event: ReportMediaVisibilityChangedV1) -> None:
    """Hide (or show again) a file's public renditions."""
    repo.update_of_report(m.db, event.media_id, event.report_id, hidden=event.hidden, updated_at=utcnow())
    m.db.commit()


def daily(m: Media) -> dict[str, int] | None:
    """Once a day, in whichever replica claims the day: apply the schedule (None: not ours today)."""
    return run_daily(m.db, retention_runs, JOB, utcnow(), lambda now: retention_pass(m, now))


def apply_now(m: Media) -> dict[str, int]:
    """Apply the schedule now (operations, tests): what was done."""
    return retention_pass(m, utcnow())


def retention_pass(m: Media, now: datetime, batch: int = 200) -> dict[str, int]:
    """Batches of files with renditions whose original is kept, oldest first, until none is due."""
    cutoff, deleted, after_id = now - m.settings.originals_after_close, 0, None
    while rows := repo.originals_kept(m.db, cutoff, batch, after_id):
        after_id = rows[-1].id
        closed = case_closures(m.intake, sorted({r.report_id for r in rows}), m.settings.intake_timeout_s)
        if closed is None:  # intake cannot say: decide nothing now
            m.db.rollback()
            break
        due = [
            r
            for r in rows
            if closed.get(r.report_id) and datetime.fromisoformat(closed[r.report_id]) < cutoff
        ]
        for row in due:
            repo.update(m.db, row.id, original_deleted_at=now, updated_at=now)
        m.db.commit()
        m.objects.delete_quietly(r.object_key for r in due)
        deleted += len(due)
    return {"originals_deleted": deleted}
