"""The routing service: the province's directory and the decision of which agency handles a report, by when.

Consumes: intake `report.accepted`, `report.reroute_requested`, `report.status_changed`.
Emits: `report.routed`, `report.unroutable`, `report.deadline_changed`, `report.due_soon`, `report.overdue`.
"""
from __future__ import annotations

import logging
import os
import uuid

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from libs.contracts.common import utcnow
from libs.contracts.directory import (ChangeDirectory, DirectoryNames, DryRun, ExplainDecision, LocateWard,
                                      ReadDirectory, ReplayDecision)
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportAcceptedV1, ReportRerouteRequestedV1, ReportStatusChangedV1
from libs.contracts.health import ServiceHealth
from libs.contracts.routing import CategoryView, DirectoryCounts
from libs.platform.access import require_role
from libs.platform.db import Database
from libs.platform.telemetry import Telemetry
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes

from . import admin, explain, flow
from . import case_repository as cases_repo
from .dependencies import Directories
from .directory import entry_names, unit_names
from .engine import RouteRequest
from .models import inbox, outbox
from .views import routing_decision_view

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = float(os.environ.get("ROUTING_SWEEP_INTERVAL_S", "30"))  # read at import: @timer needs it
ADMIN, OPERATOR = "administrator", "operator"


class RoutingService:
    """Chooses the ward and the agency for each accepted report, keeps its deadlines and escalates."""

    name = "routing"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry()
    directories = Directories()

    # ---- events ----

    @event_handler("intake", "report.accepted", requeue_on_error=True)
    @consumes(ReportAcceptedV1)
    def handle_report_accepted(self, event: ReportAcceptedV1) -> None:
        """Decide, record the decision with its reason and directory version, and announce it."""
        now = utcnow()
        request = RouteRequest(report_id=str(event.report_id), category=event.category,
                               priority=event.priority.value, lat=event.location.lat, lon=event.location.lon,
                               operator_ward=event.ward_code)
        flow.route_report(self.db, self.directories.current(self.db, now), request, now, trigger="accepted",
                          cause_event_id=event.event_id, code=event.code)
        self.db.commit()

    @event_handler("intake", "report.reroute_requested", requeue_on_error=True)
    @consumes(ReportRerouteRequestedV1)
    def handle_report_reroute_requested(self, event: ReportRerouteRequestedV1) -> None:
        """Decide again (operator's agency → reason `manual`; operator's ward kept), keeping who held it."""
        now = utcnow()
        case = cases_repo.get_case(self.db, event.report_id)
        request = RouteRequest(report_id=str(event.report_id), category=event.category,
                               priority=event.priority.value, lat=event.location.lat, lon=event.location.lon,
                               operator_ward=event.ward_code or (case.operator_ward if case else None),
                               manual_agency=event.agency_code, note=event.note or "")
        flow.route_report(self.db, self.directories.current(self.db, now), request, now, trigger="reroute",
                          cause_event_id=event.event_id, code=event.code, note=event.note)
        self.db.commit()

    @event_handler("intake", "report.status_changed", requeue_on_error=True)
    @consumes(ReportStatusChangedV1)
    def handle_report_status_changed(self, event: ReportStatusChangedV1) -> None:
        """Follow the case: acceptance, stopped/resumed clock, extensions, priority, closing."""
        flow.track_status(self.db, self.directories, event, utcnow())
        self.db.commit()

    @timer(interval=SWEEP_INTERVAL_S)
    def sweep_deadlines(self) -> None:
        """Apply directory versions that came into force; warn about cases due soon or overdue (once each)."""
        now = utcnow()
        applied = admin.apply_due_versions(self.db, self.directories, now)
        self.db.commit()
        if applied:
            log.info("directory versions applied: %s", applied)
        directory = self.directories.current(self.db, now)
        if directory is not None:
            fired = flow.sweep_deadlines(self.db, directory, now)
            self.db.commit()
            if fired:
                log.info("deadline warnings emitted: %s", fired)

    # ---- decisions ----

    @rpc(expected_exceptions=ServiceError)
    def get_decision(self, report_id: str) -> dict:
        """The latest routed decision of a report, with its reason."""
        try:
            row = cases_repo.decision(self.db, uuid.UUID(str(report_id)), routed_only=True)
        except ValueError:
            row = None
        if row is None:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no routing decision for {report_id}")
        return routing_decision_view(row).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def explain_decision(self, payload: dict) -> dict:
        """Every decision of a report with its explanation, every agency that held it, its clock."""
        query = parse(ExplainDecision, payload)
        require_role(query.actor, (ADMIN, OPERATOR), internal_ok=True)
        return explain.explain(self.db, self.directories, query.report_id).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def replay_decision(self, payload: dict) -> dict:
        """Run a stored decision again on its directory version (or another) and compare."""
        query = parse(ReplayDecision, payload)
        require_role(query.actor, (ADMIN, OPERATOR), internal_ok=True)
        return explain.replay(self.db, self.directories, query, utcnow()).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def dry_run(self, payload: dict) -> dict:
        """Which agency a category at a point would go to, and why; nothing is stored."""
        query = parse(DryRun, payload)
        require_role(query.actor, (ADMIN, OPERATOR), internal_ok=True)
        return explain.dry_run(self.db, self.directories, query, utcnow()).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def locate_ward(self, payload: dict) -> dict:
        """Point → ward with the polygons in force (approximate or official)."""
        query = parse(LocateWard, payload)
        return explain.locate(self.db, self.directories, query.location.lat, query.location.lon,
                              utcnow()).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def ward_cells(self) -> dict:
        """The ward cells in force with their names, as GeoJSON (public: the citizen map's overlay)."""
        return explain.public_cells(self.db, self.directories, utcnow())

    # ---- directory ----

    @rpc(expected_exceptions=ServiceError)
    def change_directory(self, payload: dict) -> dict:
        """An administrator's change, validated and stored as a new version (bulk re-route when asked)."""
        cmd = parse(ChangeDirectory, payload)
        require_role(cmd.actor, (ADMIN,))
        view = admin.change_directory(self.db, cmd, utcnow())
        self.db.commit()
        return view.model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def read_directory(self, payload: dict):
        """One part of the directory (units, agencies, categories, rules, deadlines, holidays, ward cells...)."""
        query = parse(ReadDirectory, payload)
        require_role(query.actor, (ADMIN,))
        return admin.read_directory(self.db, self.directories, query, utcnow())

    @rpc
    def list_categories(self) -> list[dict]:
        """The report categories clients may choose from (directory in force)."""
        directory = self.directories.current(self.db, utcnow())
        cats = directory.doc["category"] if directory else {}
        return [CategoryView(code=c["code"], name_vi=c["name_vi"], name_en=c["name_en"],
                             description=c["description"], default_agency=c["default_agency"]
                             ).model_dump(mode="json") for _, c in sorted(cats.items())]

    @rpc
    def list_names(self) -> dict:
        """Vietnamese and English names of the categories, agencies and units in force (read-only, for messages)."""
        directory = self.directories.current(self.db, utcnow())
        if directory is None:
            return DirectoryNames(version=0).model_dump(mode="json")
        doc = directory.doc
        return DirectoryNames(version=directory.version,
                              categories=[entry_names(c) for _, c in sorted(doc["category"].items())],
                              agencies=[entry_names(a) for _, a in sorted(doc["agency"].items())],
                              units=[unit_names(u) for _, u in sorted(doc["unit"].items())]).model_dump(mode="json")

    @rpc
    def directory_counts(self) -> dict:
        """How much of the directory is in force (version 0 = not seeded)."""
        directory = self.directories.current(self.db, utcnow())
        if directory is None:
            return DirectoryCounts(version=0, units=0, agencies=0, categories=0).model_dump(mode="json")
        doc = directory.doc
        return DirectoryCounts(version=directory.version, units=len(doc["unit"]), agencies=len(doc["agency"]),
                               categories=len(doc["category"])).model_dump(mode="json")

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
