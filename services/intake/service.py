"""The intake service: owns reports, their life as cases, their timeline and the reporter's sealed identity.

Consumes: routing `report.routed`, `report.unroutable`, `report.deadline_changed`, `report.overdue`;
media `media.stored`.
Emits: `report.submitted`, `report.accepted`, `report.reroute_requested`, `report.status_changed` (every step).
"""
from __future__ import annotations

from nameko.rpc import RpcProxy, rpc

from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.telemetry import Telemetry

# modules, not classes: `nameko run` serves every top-level class with entrypoints in this module
from . import agency_work, citizen, consumers, open311_rpc, people, queries, retention, submission, timers, triage
from .dependencies import Caller, Categories, Settings
from .gauges import case_gauges
from .models import inbox, outbox


class IntakeService(open311_rpc.Open311Rpc, submission.Submission, triage.Triage, agency_work.AgencyWork,
                    citizen.Citizen, queries.Queries, people.People, consumers.Consumers, timers.Timers,
                    retention.Retention):
    """Receives reports and keeps each case's state and timeline (use cases in the mixins)."""

    name = "intake"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry(probes=(case_gauges,))
    settings = Settings()
    categories = Categories()
    routing = RpcProxy("routing")
    caller = Caller()

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
