"""The intake service: owns reports, their timeline and the reporter's sealed identity.

Consumes: routing `report.routed`, `report.unroutable`; media `media.stored`.
Emits: `report.submitted`, `report.accepted`, `report.status_changed`.
"""
from __future__ import annotations

import logging
import uuid

from nameko.events import event_handler
from nameko.rpc import rpc

from libs.contracts.common import Status, utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import (MediaStoredV1, ReportAcceptedV1, ReportRoutedV1, ReportStatusChangedV1,
                                   ReportSubmittedV1, ReportUnroutableV1)
from libs.contracts.health import ServiceHealth
from libs.contracts.reports import GetReport, ReportRef, SubmitReportCommand
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes

from . import repository as repo
from .dependencies import Settings
from .domain import fingerprint, initial_status, report_code, tracking_token
from .models import inbox, outbox
from .views import report_view

log = logging.getLogger(__name__)


class IntakeService:
    """Receives reports and keeps each case's state and timeline."""

    name = "intake"
    db = Database(outbox=outbox, inbox=inbox)
    settings = Settings()

    @rpc(expected_exceptions=ServiceError)
    def submit_report(self, payload: dict) -> dict:
        """Create a report (or return the one already made under the same Idempotency-Key)."""
        cmd = parse(SubmitReportCommand, payload)
        report, key = cmd.report, cmd.idempotency_key
        if key and (existing := repo.by_idempotency_key(self.db, key)) is not None:
            return self._replay(existing, fingerprint(report))
        now, report_id = utcnow(), uuid.uuid4()
        accepted = self.settings.auto_accept.applies(report)
        status = initial_status(accepted)
        code = report_code(now.year, repo.next_seq(self.db))
        repo.insert(self.db, id=report_id, code=code, category=report.category,
                    description=report.description, lat=report.location.lat, lon=report.location.lon,
                    address=report.address, priority=report.priority.value, status=status.value,
                    channel=report.channel, reporter_sealed=self.settings.sealer.seal(report.reporter),
                    idempotency_key=key, request_fingerprint=fingerprint(report),
                    created_at=now, updated_at=now)
        repo.add_step(self.db, report_id, now, "citizen", None, Status.CHO_TIEP_NHAN)
        self.db.emit(ReportSubmittedV1(report_id=report_id, code=code, category=report.category,
                                       priority=report.priority, location=report.location,
                                       status=status, channel=report.channel))
        if accepted:
            repo.add_step(self.db, report_id, now, "system", Status.CHO_TIEP_NHAN, Status.DA_TIEP_NHAN,
                          note="Tự động tiếp nhận / accepted automatically")
            self.db.emit(ReportAcceptedV1(report_id=report_id, code=code, category=report.category,
                                          priority=report.priority, location=report.location))
        self.db.commit()  # may raise IntegrityError on a concurrent same-key submission
        return ReportRef(id=report_id, code=code, tracking_token=tracking_token(self.settings.token_key, report_id),
                         status=status, created_at=now).model_dump(mode="json")

    def _replay(self, row, request_fingerprint: str) -> dict:
        if row.request_fingerprint != request_fingerprint:
            raise ServiceError(ErrorCode.IDEMPOTENCY_KEY_REUSED,
                               "this Idempotency-Key was used for a different report",
                               [{"field": "Idempotency-Key", "message": "already used for another request",
                                 "type": "conflict"}])
        return ReportRef(id=row.id, code=row.code, tracking_token=tracking_token(self.settings.token_key, row.id),
                         status=Status(row.status), created_at=row.created_at,
                         replayed=True).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def get_report(self, payload: dict) -> dict:
        """One report with its public timeline; the tracking token adds the reporter's own data."""
        query = parse(GetReport, payload)
        row = repo.get(self.db, query.report_id)
        if row is None:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {query.report_id}")
        view = report_view(row, repo.steps(self.db, row.id, public_only=True), self.settings, query.tracking_token)
        return view.model_dump(mode="json")

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

    @event_handler("routing", "report.routed", requeue_on_error=True)
    @consumes(ReportRoutedV1)
    def handle_report_routed(self, event: ReportRoutedV1) -> None:
        """Move an accepted (or returned) case to the agency routing chose."""
        row = repo.get(self.db, event.report_id, lock=True)
        if row is None or Status(row.status) not in (Status.DA_TIEP_NHAN, Status.TRA_LAI):
            log.warning("report.routed for %s in state %s: ignored", event.report_id, row and row.status)
            self.db.commit()
            return
        now = utcnow()
        repo.update(self.db, row.id, status=Status.DA_CHUYEN_XU_LY.value, ward_code=event.ward_code,
                    ward_approximate=event.ward_approximate, agency_code=event.agency_code,
                    accept_due_at=event.accept_due_at, due_at=event.due_at, updated_at=now)
        note = f"Chuyển {event.agency_code} / routed to {event.agency_code}"
        self._changed(row, now, "auto_router", Status.DA_CHUYEN_XU_LY, note, event.ward_code, event.agency_code)
        self.db.commit()

    @event_handler("routing", "report.unroutable", requeue_on_error=True)
    @consumes(ReportUnroutableV1)
    def handle_report_unroutable(self, event: ReportUnroutableV1) -> None:
        """Routing found no agency: the case waits in the operator's triage queue, with the reason."""
        row = repo.get(self.db, event.report_id, lock=True)
        if row is not None:
            repo.add_step(self.db, row.id, utcnow(), "auto_router", Status(row.status), Status(row.status),
                          note=f"unroutable: {event.reason}", public=False)
        self.db.commit()

    @event_handler("media", "media.stored", requeue_on_error=True)
    @consumes(MediaStoredV1)
    def handle_media_stored(self, event: MediaStoredV1) -> None:
        """Attach a file that passed the media checks."""
        if repo.get(self.db, event.report_id) is not None:
            repo.attach_media(self.db, event.media_id, event.report_id, event.role, event.content_type, utcnow())
        self.db.commit()

    def _changed(self, row, now, actor_role: str, to_status: Status, note: str | None,
                 ward_code: str | None, agency_code: str | None) -> None:
        from_status = Status(row.status)
        repo.add_step(self.db, row.id, now, actor_role, from_status, to_status, note=note)
        self.db.emit(ReportStatusChangedV1(report_id=row.id, code=row.code, category=row.category,
                                           from_status=from_status, to_status=to_status, ward_code=ward_code,
                                           agency_code=agency_code, actor_role=actor_role, public_note=note))

