"""Use case: the retention schedule — sealed identities erased a while after a case closes, the audit log kept
for its own period (docs/privacy.md has the defaults and why).

A daily job (an hourly timer; the replica that claims the day runs it: `libs.platform.retention.run_daily`)
and an RPC for operations to run it now. Both are idempotent: a case is erased once (`contact_erased_at`), in
batches locked with SKIP LOCKED, so replicas and reruns never do anything twice. Statistics live in the
feedback service and are not touched."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..repository import personal_data
from ..settings import Retention

JOB = "intake.retention"
AUDIT_FLOOR = timedelta(days=366)  # the audit trigger refuses deletes of rows younger than 365 days


def retention_pass(db, policy: Retention, now: datetime) -> dict[str, int]:
    """Erase identities due for erasure, batch by batch (each committed), then purge the old audit rows."""
    counts = {"identities_erased": 0, "texts_masked": 0, "audit_rows_deleted": 0}
    while ids := personal_data.due_for_erasure(db, now - policy.contact_after_close, policy.batch):
        counts["identities_erased"] += personal_data.erase_contacts(db, ids, now, followers_too=True)
        counts["texts_masked"] += personal_data.mask_citizen_text(db, ids)
        for report_id in ids:
            personal_data.audit(
                db,
                report_id,
                "retention_erase",
                "system",
                ["contact", "free_text"],
                "retention schedule",
                service="intake",
            )
        db.commit()
    counts["audit_rows_deleted"] = personal_data.purge_audit(db, now - max(policy.audit, AUDIT_FLOOR))
    db.commit()
    return counts
