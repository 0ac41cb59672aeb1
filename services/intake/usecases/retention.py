"""Use case: the retention schedule — sealed identities erased a while after a case closes, the audit log kept
for its own period (docs/privacy.md has the defaults and why).

A daily job (an hourly timer; the replica that claims the day runs it) and an RPC for operations to run it now.
Both are idempotent: a case is erased once (`contact_erased_at`), in batches locked with SKIP LOCKED, so replicas
and reruns never do anything twice. Statistics live in the feedback service and are not touched.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from libs.platform.retention import DailyRetention

from . import repo_people as people
from .casefile import CaseFile
from .models import retention_runs

AUDIT_FLOOR = timedelta(days=366)  # the audit trigger refuses deletes of rows younger than 365 days


class Retention(DailyRetention, CaseFile):
    """retention_daily, apply_retention (libs.platform.retention): identities and the audit log."""

    retention_job, retention_table = "intake.retention", retention_runs

    def retention_pass(self, now: datetime) -> dict[str, int]:
        """Erase identities due for erasure, batch by batch (each committed), then purge the old audit rows."""
        policy, counts = self.settings.retention, {"identities_erased": 0, "texts_masked": 0, "audit_rows_deleted": 0}
        while ids := people.due_for_erasure(self.db, now - policy.contact_after_close, policy.batch):
            counts["identities_erased"] += people.erase_contacts(self.db, ids, now, followers_too=True)
            counts["texts_masked"] += people.mask_citizen_text(self.db, ids)
            for report_id in ids:
                people.audit(self.db, report_id, "retention_erase", "system", ["contact", "free_text"],
                             "retention schedule", service="intake")
            self.db.commit()
        counts["audit_rows_deleted"] = people.purge_audit(self.db, now - max(policy.audit, AUDIT_FLOOR))
        self.db.commit()
        return counts
