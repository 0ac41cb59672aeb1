"""The notify service: guaranteed delivery of cases to agencies, and news of every step to citizens.

Consumes: routing `report.routed`, `report.due_soon`, `report.overdue`, `report.deadline_changed`;
intake `report.status_changed`.
Emits: `delivery.failed` (a delivery parked for an operator).
Handlers only write rows (deliveries, notices: idempotent by dedupe key); the `sweep` timer performs them.
Contacts are never stored: intake is asked at send time (`intake.notification_recipients`).
"""

from __future__ import annotations

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from libs.contracts.events import (
    ReportDeadlineChangedV1,
    ReportDueSoonV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
)
from libs.contracts.health import ServiceHealth
from libs.contracts.notify import (
    AcknowledgeCase,
    ChannelRef,
    DeliveryRef,
    ListAgencyChannels,
    ListDeliveries,
    ListInbox,
    SetAgencyChannel,
    UnacknowledgedQuery,
    UnsubscribeByLink,
    UnsubscribeReporter,
)
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes
from libs.platform.telemetry import Telemetry

from .dependencies import Couriers, Peers, Settings
from .repository.gauges import delivery_gauges
from .repository.models import inbox, outbox
from .usecases import administrators, agencies, case_events, operators, reporters
from .usecases.sweep import Sweep


class NotifyService:
    """Plans deliveries from events, performs them on a timer, and lets staff see and steer them."""

    name = "notify"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry(probes=(delivery_gauges,))
    settings = Settings()
    courier = Couriers()
    peers = Peers()

    # --- events: plan rows, send nothing here (usecases/case_events.py)
    # ----------------------------------------

    @event_handler("routing", "report.routed", requeue_on_error=True)
    @consumes(ReportRoutedV1)
    def handle_report_routed(self, event: ReportRoutedV1) -> None:
        """A case for an agency (and its co-handlers): one delivery per channel; the citizen is told too."""
        case_events.case_routed(self.db, self.settings, event)

    @event_handler("intake", "report.status_changed", requeue_on_error=True)
    @consumes(ReportStatusChangedV1)
    def handle_report_status_changed(self, event: ReportStatusChangedV1) -> None:
        """Acknowledge by action, tell the holding agency of others' changes, tell the citizen what they
        see."""
        case_events.status_changed(self.db, self.settings, event)

    @event_handler("routing", "report.due_soon", requeue_on_error=True)
    @consumes(ReportDueSoonV1)
    def handle_report_due_soon(self, event: ReportDueSoonV1) -> None:
        """A deadline is near: the holding agency is reminded on its channels."""
        case_events.due_soon(self.db, self.settings, event)

    @event_handler("routing", "report.overdue", requeue_on_error=True)
    @consumes(ReportOverdueV1)
    def handle_report_overdue(self, event: ReportOverdueV1) -> None:
        """Level 1 goes to the late agency; level 2 to its escalation agency (none: the IOC's overdue
        queue)."""
        case_events.overdue(self.db, self.settings, event)

    @event_handler("routing", "report.deadline_changed", requeue_on_error=True)
    @consumes(ReportDeadlineChangedV1)
    def handle_report_deadline_changed(self, event: ReportDeadlineChangedV1) -> None:
        """Keep the accept deadline right, so the operator's unacknowledged queue is right."""
        case_events.deadlines_changed(self.db, event)

    # --- the sweep (usecases/sweep.py) ----------------------------------------------------------------------

    @timer(interval=1.0)
    def sweep_agencies(self) -> None:
        """Send due agency deliveries (FOR UPDATE SKIP LOCKED, back-off in the query), one commit each."""
        Sweep(self.db, self.settings, self.courier, self.peers).agencies()

    @timer(interval=1.0)
    def sweep_citizens(self) -> None:
        """Fan out due citizen notices and send due citizen deliveries (intake asked at send time)."""
        Sweep(self.db, self.settings, self.courier, self.peers).citizens()

    # --- operators: see, redeliver, find the unacknowledged (usecases/operators.py)
    # --------------------------

    @rpc(expected_exceptions=ServiceError)
    def list_deliveries(self, report_id: str) -> list[dict]:
        """Every delivery recorded for a report, oldest first."""
        return operators.list_deliveries(self.db, report_id)

    @rpc(expected_exceptions=ServiceError)
    def query_deliveries(self, payload: dict) -> list[dict]:
        """Operators: any deliveries (e.g. state=failed); agency staff: only their agency's."""
        return operators.query_deliveries(self.db, parse(ListDeliveries, payload))

    @rpc(expected_exceptions=ServiceError)
    def redeliver(self, payload: dict) -> dict:
        """Operator action: a failed (or sent, unacknowledged) delivery goes back to pending, attempts
        reset."""
        return operators.redeliver(self.db, parse(DeliveryRef, payload))

    @rpc(expected_exceptions=ServiceError)
    def list_unacknowledged(self, payload: dict) -> list[dict]:
        """Routed cases their agency has not acknowledged (by default only those past the accept deadline)."""
        return operators.list_unacknowledged(self.db, parse(UnacknowledgedQuery, payload))

    # --- agencies: acknowledge receipt (usecases/agencies.py) -----------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def acknowledge_delivery(self, payload: dict) -> dict:
        """The agency confirms one delivery (by its id); a foreign delivery is a 404."""
        return agencies.acknowledge_delivery(self.db, parse(DeliveryRef, payload))

    @rpc(expected_exceptions=ServiceError)
    def acknowledge_case(self, payload: dict) -> dict:
        """The agency confirms it received a case routed to it (every sent delivery of it is acknowledged)."""
        return agencies.acknowledge_case(self.db, parse(AcknowledgeCase, payload))

    # --- administrators: agency channels (usecases/administrators.py)
    # ----------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def set_agency_channel(self, payload: dict) -> dict:
        """Create or replace an agency's channel (amqp, webhook, email), optionally per category."""
        return administrators.set_agency_channel(self.db, self.settings, parse(SetAgencyChannel, payload))

    @rpc(expected_exceptions=ServiceError)
    def list_agency_channels(self, payload: dict) -> list[dict]:
        """Configured channels (secrets as hints only)."""
        return administrators.list_agency_channels(self.db, parse(ListAgencyChannels, payload))

    @rpc(expected_exceptions=ServiceError)
    def delete_agency_channel(self, payload: dict) -> dict:
        """Remove a channel; its pending deliveries fail as `channel_removed` (visible, redeliverable)."""
        return administrators.delete_agency_channel(self.db, parse(ChannelRef, payload))

    # --- citizens: in-app inbox and unsubscribe (usecases/reporters.py) -------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def list_inbox(self, payload: dict) -> list[dict]:
        """In-app messages of a report's reporter, or of one follower of the case (the caller checked the
        token)."""
        return reporters.list_inbox(self.db, parse(ListInbox, payload))

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe_link(self, payload: dict) -> dict:
        """An e-mail's unsubscribe link: no more e-mail/SMS about that case to that recipient."""
        return reporters.unsubscribe_link(self.db, parse(UnsubscribeByLink, payload))

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe_reporter(self, payload: dict) -> dict:
        """The reporter (tracking token checked by the caller) stops e-mail/SMS about their case."""
        return reporters.unsubscribe_reporter(self.db, parse(UnsubscribeReporter, payload))

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
