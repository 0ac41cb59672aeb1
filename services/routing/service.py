"""The routing service: the province's directory and the decision of which agency handles a report.

Consumes: intake `report.accepted`.
Emits: `report.routed`, `report.unroutable`.
"""
from __future__ import annotations

import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportAcceptedV1, ReportRoutedV1, ReportUnroutableV1
from libs.contracts.health import ServiceHealth
from libs.contracts.routing import CategoryView, DirectoryCounts, RoutingDecisionView
from libs.platform.db import Database
from libs.platform.errors import ServiceError
from libs.platform.events import consumes

from .dependencies import Directory
from .directory import Routed, decide
from .models import categories, decisions, inbox, outbox


class RoutingService:
    """Chooses the ward and the agency for each accepted report."""

    name = "routing"
    db = Database(outbox=outbox, inbox=inbox)
    directory = Directory()

    @event_handler("intake", "report.accepted", requeue_on_error=True)
    @consumes(ReportAcceptedV1)
    def handle_report_accepted(self, event: ReportAcceptedV1) -> None:
        """Decide, record the decision with its reason, and announce it."""
        snapshot = self.directory.current(self.db)
        now = utcnow()
        if snapshot is None:
            self._unroutable(event, "directory_not_loaded", 0, now)
            return
        result = decide(snapshot, event.category, event.priority.value, event.location.lat,
                        event.location.lon, now)
        record = dict(report_id=event.report_id, cause_event_id=event.event_id, category=event.category,
                      priority=event.priority.value, lat=event.location.lat, lon=event.location.lon,
                      ward_code=result.ward_code, directory_version=snapshot.version, decided_at=now,
                      explanation=result.explanation)
        if isinstance(result, Routed):
            self.db.execute(sa.insert(decisions).values(
                **record, agency_code=result.agency_code, co_handlers=list(result.co_handlers),
                reason=result.reason, accept_due_at=result.accept_due_at, due_at=result.due_at))
            self.db.emit(ReportRoutedV1(
                report_id=event.report_id, code=event.code, category=event.category, priority=event.priority,
                ward_code=result.ward_code, ward_approximate=result.ward_approximate,
                agency_code=result.agency_code, co_handlers=list(result.co_handlers), reason=result.reason,
                directory_version=snapshot.version, accept_due_at=result.accept_due_at, due_at=result.due_at))
            self.db.commit()
        else:
            self.db.execute(sa.insert(decisions).values(**record, agency_code=None, co_handlers=[],
                                                        reason=f"unroutable:{result.reason}"))
            self._unroutable(event, result.reason, snapshot.version, now)

    def _unroutable(self, event: ReportAcceptedV1, reason: str, version: int, now) -> None:
        self.db.emit(ReportUnroutableV1(report_id=event.report_id, code=event.code, category=event.category,
                                        reason=reason, directory_version=version))
        self.db.commit()

    @rpc(expected_exceptions=ServiceError)
    def get_decision(self, report_id: str) -> dict:
        """The latest routing decision of a report, with its reason."""
        row = self.db.execute(sa.select(decisions).where(decisions.c.report_id == report_id,
                                                         decisions.c.agency_code.is_not(None))
                              .order_by(decisions.c.id.desc()).limit(1)).first()
        if row is None:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no routing decision for {report_id}")
        return RoutingDecisionView(report_id=row.report_id, ward_code=row.ward_code, agency_code=row.agency_code,
                                   co_handlers=row.co_handlers, reason=row.reason, explanation=row.explanation,
                                   directory_version=row.directory_version,
                                   decided_at=row.decided_at).model_dump(mode="json")

    @rpc
    def list_categories(self) -> list[dict]:
        """The report categories clients may choose from."""
        rows = self.db.execute(sa.select(categories).order_by(categories.c.code)).all()
        return [CategoryView(code=r.code, name_vi=r.name_vi, name_en=r.name_en, description=r.description,
                             default_agency=r.default_agency).model_dump(mode="json") for r in rows]

    @rpc
    def directory_counts(self) -> dict:
        """How much of the directory is loaded (version 0 = not seeded)."""
        snapshot = self.directory.current(self.db)
        if snapshot is None:
            return DirectoryCounts(version=0, units=0, agencies=0, categories=0).model_dump(mode="json")
        return DirectoryCounts(version=snapshot.version, units=len(snapshot.units),
                               agencies=len(snapshot.agencies),
                               categories=len(snapshot.categories)).model_dump(mode="json")

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
