"""The routing service: the province's directory and the decision of which agency handles a report, by when.

Consumes: intake `report.accepted`, `report.reroute_requested`, `report.status_changed`.
Emits: `report.routed`, `report.unroutable`, `report.deadline_changed`, `report.due_soon`, `report.overdue`.
"""

from __future__ import annotations

import logging
import os

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from libs.contracts.common import utcnow
from libs.contracts.directory import (
    ChangeDirectory,
    DryRun,
    ExplainDecision,
    LocateWard,
    ReadDirectory,
    ReplayDecision,
)
from libs.contracts.events import ReportAcceptedV1, ReportRerouteRequestedV1, ReportStatusChangedV1
from libs.contracts.health import ServiceHealth
from libs.platform.access import require_role
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes
from libs.platform.telemetry import Telemetry

from .dependencies import Directories
from .repository.models import inbox, outbox
from .usecases import admin, catalogue, explain, flow

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
        flow.route_accepted(self.db, self.directories, event, utcnow())
        self.db.commit()

    @event_handler("intake", "report.reroute_requested", requeue_on_error=True)
    @consumes(ReportRerouteRequestedV1)
    def handle_report_reroute_requested(self, event: ReportRerouteRequestedV1) -> None:
        """Decide again (operator's agency → reason `manual`; operator's ward kept), keeping who held it."""
        flow.route_again(self.db, self.directories, event, utcnow())
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
        fired = flow.sweep_deadlines(self.db, self.directories.current(self.db, now), now)
        self.db.commit()
        if fired:
            log.info("deadline warnings emitted: %s", fired)

    # ---- decisions ----

    @rpc(expected_exceptions=ServiceError)
    def get_decision(self, report_id: str) -> dict:
        """The latest routed decision of a report, with its reason."""
        return catalogue.latest_decision(self.db, report_id)

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
        return explain.locate(
            self.db, self.directories, query.location.lat, query.location.lon, utcnow()
        ).model_dump(mode="json")

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
        """One part of the directory (units, agencies, categories, rules, deadlines, holidays, ward
        cells...)."""
        query = parse(ReadDirectory, payload)
        require_role(query.actor, (ADMIN,))
        return admin.read_directory(self.db, self.directories, query, utcnow())

    @rpc
    def list_categories(self) -> list[dict]:
        """The report categories clients may choose from (directory in force)."""
        return catalogue.categories(self.db, self.directories, utcnow())

    @rpc
    def list_names(self) -> dict:
        """Vietnamese and English names of the categories, agencies and units in force (read-only, for
        messages)."""
        return catalogue.names(self.db, self.directories, utcnow())

    @rpc
    def directory_counts(self) -> dict:
        """How much of the directory is in force (version 0 = not seeded)."""
        return catalogue.counts(self.db, self.directories, utcnow())

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
