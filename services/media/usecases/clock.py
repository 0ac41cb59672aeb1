"""Use case: the clock — render confirmed videos, retry failed attempts when due, sweep orphan uploads.

Attempts are claimed with a lease (`next_attempt_at` moved past the time budget), so several instances share
the work (`FOR UPDATE SKIP LOCKED`) and a crashed attempt is taken over once its lease runs out. Photos and
videos have separate timers: a long render never delays a photo's retry.
"""
from __future__ import annotations

import logging

from nameko.timer import timer

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import MediaRejectedV1

from . import repository as repo
from .base import MediaBase
from .intake_client import report_facts

log = logging.getLogger(__name__)
BATCH = 4
SWEEP_INTERVAL_S = 5


class Worker(MediaBase):
    """process_photos, process_videos, sweep_orphans."""

    @timer(interval=1)
    def process_photos(self) -> None:
        """Photos whose earlier attempt failed (or whose lease ran out), when due."""
        self.drain("photo")

    @timer(interval=1)
    def process_videos(self) -> None:
        """Confirmed videos: render the web MP4 and the poster set."""
        self.drain("video")

    def drain(self, kind: str, batch: int = BATCH) -> int:
        """Claim and process up to `batch` due files of one kind; returns how many were attempted."""
        done = 0
        for _ in range(batch):
            now = utcnow()
            row = repo.next_due(self.db, kind, now)
            if row is None:
                self.db.rollback()
                break
            if row.attempts >= self.settings.max_attempts:  # leases ran out again and again (crashes)
                self._reject(row, ErrorCode.MEDIA_PROCESSING_FAILED.value, last_error="attempts exhausted")
                continue
            claimed = repo.claim(self.db, row.id, now, self.settings.lease(kind))
            self.db.commit()
            self._attempt(claimed)
            done += 1
        return done

    @timer(interval=SWEEP_INTERVAL_S)
    def sweep_orphans(self) -> None:
        """Slots never confirmed in time, slots written again after their confirmation, and ready files whose
        report intake does not know."""
        self.sweep_expired_slots()
        self.sweep_closed_slots()
        self.sweep_unattached()

    def sweep_expired_slots(self) -> int:
        """Unconfirmed slots past their time (+ grace): state rejected(MEDIA_EXPIRED), object removed."""
        now = utcnow()
        rows = repo.expired_slots(self.db, now - self.settings.upload_ttl - self.settings.expire_grace)
        for row in rows:  # nothing was announced for these: no event
            repo.finish(self.db, row.id, "rejected", reject_reason=ErrorCode.MEDIA_EXPIRED.value, updated_at=now,
                        slot_key=None)
        self.db.commit()
        self.objects.delete_quietly(r.object_key for r in rows)
        return len(rows)

    def sweep_closed_slots(self) -> int:
        """Confirmed (or refused) files whose upload URL has expired: remove whatever was PUT to the slot after the
        confirmation copied the bytes away (a second write is never processed or served; it is not kept either)."""
        now = utcnow()
        rows, closed = repo.slots_to_close(self.db, now - self.settings.upload_ttl - self.settings.expire_grace), 0
        for row in rows:
            try:
                self.objects.delete(row.slot_key)  # removing a missing key is no error
            except Exception as exc:  # store down: the row keeps its slot_key, the next sweep tries again
                log.warning("could not remove upload slot %s: %s", row.slot_key, type(exc).__name__)
                continue
            repo.slot_closed(self.db, row.id, row.slot_key)
            closed += 1
        self.db.commit()
        return closed

    def sweep_unattached(self) -> int:
        """Ready files older than the attach TTL: kept if their report exists (intake attached them), else swept."""
        now = utcnow()
        rows = repo.unattached(self.db, now - self.settings.attach_ttl)
        swept, keys, answers = 0, [], {}
        for row in rows:
            if row.report_id not in answers:
                answers[row.report_id] = report_facts(self.intake, row.report_id, None,
                                                      self.settings.intake_timeout_s)
            facts = answers[row.report_id]
            if facts is None:  # intake cannot say: decide nothing more now
                break
            if facts.exists:
                repo.update(self.db, row.id, attached_at=now)
                continue
            repo.finish(self.db, row.id, "rejected", from_state="ready", reject_reason=ErrorCode.MEDIA_EXPIRED.value,
                        updated_at=now)
            keys += [row.object_key, *repo.drop_renditions(self.db, row.id)]
            self.db.emit(MediaRejectedV1(media_id=row.id, report_id=row.report_id,
                                         reason=ErrorCode.MEDIA_EXPIRED.value))
            swept += 1
        self.db.commit()
        self.objects.delete_quietly(keys)
        return swept
