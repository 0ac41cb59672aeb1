"""Use case: the clock — render confirmed videos, retry failed attempts when due, sweep orphan uploads.

Attempts are claimed with a lease (`next_attempt_at` moved past the time budget), so several instances share
the work (`FOR UPDATE SKIP LOCKED`) and a crashed attempt is taken over once its lease runs out. Photos and
videos have separate timers: a long render never delays a photo's retry.
"""

from __future__ import annotations

import logging

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import MediaRejectedV1

from ..adapters.intake import report_facts
from ..repository import media as repo
from .context import Media
from .outcomes import attempt, reject

log = logging.getLogger(__name__)
BATCH = 4


def drain(m: Media, kind: str, batch: int = BATCH) -> int:
    """Claim and process up to `batch` due files of one kind; returns how many were attempted."""
    done = 0
    for _ in range(batch):
        now = utcnow()
        row = repo.next_due(m.db, kind, now)
        if row is None:
            m.db.rollback()
            break
        if row.attempts >= m.settings.max_attempts:  # leases ran out again and again (crashes)
            reject(m, row, ErrorCode.MEDIA_PROCESSING_FAILED.value, last_error="attempts exhausted")
            continue
        claimed = repo.claim(m.db, row.id, now, m.settings.lease(kind))
        m.db.commit()
        attempt(m, claimed)
        done += 1
    return done


def sweep_orphans(m: Media) -> None:
    """Slots never confirmed in time, slots written again after their confirmation, and ready files whose
    report intake does not know."""
    sweep_expired_slots(m)
    sweep_closed_slots(m)
    sweep_unattached(m)


def sweep_expired_slots(m: Media) -> int:
    """Unconfirmed slots past their time (+ grace): state rejected(MEDIA_EXPIRED), object removed."""
    now = utcnow()
    rows = repo.expired_slots(m.db, now - m.settings.upload_ttl - m.settings.expire_grace)
    for row in rows:  # nothing was announced for these: no event
        repo.finish(
            m.db,
            row.id,
            "rejected",
            reject_reason=ErrorCode.MEDIA_EXPIRED.value,
            updated_at=now,
            slot_key=None,
        )
    m.db.commit()
    m.objects.delete_quietly(r.object_key for r in rows)
    return len(rows)


def sweep_closed_slots(m: Media) -> int:
    """Confirmed (or refused) files whose upload URL has expired: remove whatever was PUT to the slot after
    the confirmation copied the bytes away (a second write is never processed or served; it is not kept
    either)."""
    now = utcnow()
    rows, closed = repo.slots_to_close(m.db, now - m.settings.upload_ttl - m.settings.expire_grace), 0
    for row in rows:
        try:
            m.objects.delete(row.slot_key)  # removing a missing key is no error
        except Exception as exc:  # store down: the row keeps its slot_key, the next sweep tries again
            log.warning("could not remove upload slot %s: %s", row.slot_key, type(exc).__name__)
            continue
        repo.slot_closed(m.db, row.id, row.slot_key)
        closed += 1
    m.db.commit()
    return closed


def sweep_unattached(m: Media) -> int:
    """Ready files older than the attach TTL: kept if their report exists (intake attached them), else
    swept."""
    now = utcnow()
    rows = repo.unattached(m.db, now - m.settings.attach_ttl)
    swept, keys, answers = 0, [], {}
    for row in rows:
        if row.report_id not in answers:
            answers[row.report_id] = report_facts(m.intake, row.report_id, None, m.settings.intake_timeout_s)
        facts = answers[row.report_id]
        if facts is None:  # intake cannot say: decide nothing more now
            break
        if facts.exists:
            repo.update(m.db, row.id, attached_at=now)
            continue
        repo.finish(
            m.db,
            row.id,
            "rejected",
            from_state="ready",
            reject_reason=ErrorCode.MEDIA_EXPIRED.value,
            updated_at=now,
        )
        keys += [row.object_key, *repo.drop_renditions(m.db, row.id)]
        m.db.emit(
            MediaRejectedV1(media_id=row.id, report_id=row.report_id, reason=ErrorCode.MEDIA_EXPIRED.value)
        )
        swept += 1
    m.db.commit()
    m.objects.delete_quietly(keys)
    return swept
