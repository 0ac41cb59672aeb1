"""The notify service: guaranteed delivery of cases to agencies, and news of every step to citizens.

Consumes: routing `report.routed`, `report.due_soon`, `report.overdue`, `report.deadline_changed`;
intake `report.status_changed`.
Emits: `delivery.failed` (a delivery parked for an operator).
Handlers only write rows (deliveries, notices: idempotent by dedupe key); the `sweep` timer performs them.
Contacts are never stored: intake is asked at send time (`intake.notification_recipients`).
"""
from __future__ import annotations

import logging
import uuid

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import (ReportDeadlineChangedV1, ReportDueSoonV1, ReportOverdueV1, ReportRoutedV1,
                                   ReportStatusChangedV1)
from libs.contracts.health import ServiceHealth
from libs.contracts.notify import (AcknowledgeCase, CaseAcknowledged, ChannelRef, DeliveryRef, ListAgencyChannels,
                                   ListDeliveries, ListInbox, SetAgencyChannel, UnacknowledgedQuery, UnsubscribeByLink,
                                   UnsubscribeReporter, UnsubscribeResult)
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes
from libs.platform.telemetry import Telemetry

from . import agency, backoff, citizens, planner, policy
from . import repository as repo
from .agency import CaseFacts
from .dependencies import Couriers, Peers, Settings
from .gauges import delivery_gauges
from .models import inbox, outbox
from .sweep import Sweep
from .views import case_state_view, channel_view, delivery_view, inbox_view

log = logging.getLogger(__name__)


class NotifyService:
    """Plans deliveries from events, performs them on a timer, and lets staff see and steer them."""

    name = "notify"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry(probes=(delivery_gauges,))
    settings = Settings()
    courier = Couriers()
    peers = Peers()

    # --- events: plan rows, send nothing here ---------------------------------------------------------------

    @event_handler("routing", "report.routed", requeue_on_error=True)
    @consumes(ReportRoutedV1)
    def handle_report_routed(self, event: ReportRoutedV1) -> None:
        """A case for an agency (and its co-handlers): one delivery per channel; the citizen is told too."""
        now = utcnow()
        facts = CaseFacts(report_id=event.report_id, code=event.code, agency_code=event.agency_code,
                          category=event.category, priority=event.priority.value, ward_code=event.ward_code,
                          ward_approximate=event.ward_approximate, co_handlers=tuple(event.co_handlers),
                          routing_reason=event.reason, accept_due_at=event.accept_due_at, due_at=event.due_at)
        repo.upsert_case(self.db, now, report_id=facts.report_id, code=facts.code, category=facts.category,
                         priority=facts.priority, ward_code=facts.ward_code, ward_approximate=facts.ward_approximate,
                         agency_code=facts.agency_code, co_handlers=list(facts.co_handlers),
                         routing_reason=facts.routing_reason, accept_due_at=facts.accept_due_at, due_at=facts.due_at)
        holders = agency.recipients_of_routing(event.agency_code, event.co_handlers)
        repo.skip_for_others(self.db, event.report_id, holders, "rerouted", now)
        for recipient in holders:
            planner.agency_deliveries(self.db, self.settings, kind="case.routed", facts=facts, recipient=recipient,
                                      cause_event_id=event.event_id, occurred_at=event.occurred_at, now=now)
        planner.citizen_notice(self.db, citizens.plan_routed(event), event.report_id, event.event_id, now)
        self.db.commit()

    @event_handler("intake", "report.status_changed", requeue_on_error=True)
    @consumes(ReportStatusChangedV1)
    def handle_report_status_changed(self, event: ReportStatusChangedV1) -> None:
        """Acknowledge by action, tell the holding agency of others' changes, tell the citizen what they see."""
        now = utcnow()
        if agency.acknowledges_receipt(event):
            repo.acknowledge_case(self.db, event.report_id, event.agency_code, f"status:{event.to_status.value}", now)
        if agency.is_update_for_agency(event):
            facts = planner.case_facts(repo.get_case(self.db, event.report_id), category=event.category,
                                       ward_code=event.ward_code, agency_code=event.agency_code,
                                       priority=event.priority.value if event.priority else None) or CaseFacts(
                report_id=event.report_id, code=event.code, agency_code=event.agency_code, category=event.category,
                priority=event.priority.value if event.priority else None, ward_code=event.ward_code)
            planner.agency_deliveries(self.db, self.settings, kind="case.updated", facts=facts,
                                      recipient=event.agency_code, cause_event_id=event.event_id,
                                      occurred_at=event.occurred_at, now=now, status=event.to_status,
                                      from_status=event.from_status, public_note=event.public_note)
        planner.citizen_notice(self.db, citizens.plan_status_change(event), event.report_id, event.event_id, now)
        planner.citizen_notice(self.db, citizens.plan_rating_reminder(
            event, self.settings.rating_window, self.settings.rating_reminder_before), event.report_id,
            event.event_id, now)
        if citizens.ends_rating(event):
            repo.cancel_notices(self.db, event.report_id, "rating_reminder", now)
        self.db.commit()

    @event_handler("routing", "report.due_soon", requeue_on_error=True)
    @consumes(ReportDueSoonV1)
    def handle_report_due_soon(self, event: ReportDueSoonV1) -> None:
        """A deadline is near: the holding agency is reminded on its channels."""
        self._deadline_delivery("case.due_soon", event, event.agency_code)
        self.db.commit()

    @event_handler("routing", "report.overdue", requeue_on_error=True)
    @consumes(ReportOverdueV1)
    def handle_report_overdue(self, event: ReportOverdueV1) -> None:
        """Level 1 goes to the late agency; level 2 to its escalation agency (none: the IOC's overdue queue)."""
        recipient = event.agency_code if event.level == 1 else event.escalation_agency
        if recipient is not None:
            self._deadline_delivery("case.overdue", event, recipient, level=event.level,
                                    holding_agency=event.agency_code if event.level == 2 else None)
        self.db.commit()

    def _deadline_delivery(self, kind: str, event: ReportDueSoonV1 | ReportOverdueV1, recipient: str,
                           **extra) -> None:
        due = {"accept_due_at" if event.deadline == "accept" else "due_at": event.due_at}
        facts = planner.case_facts(repo.get_case(self.db, event.report_id), **due) or CaseFacts(
            report_id=event.report_id, code=event.code, agency_code=event.agency_code, **due)
        planner.agency_deliveries(self.db, self.settings, kind=kind, facts=facts, recipient=recipient,
                                  cause_event_id=event.event_id, occurred_at=event.occurred_at, now=utcnow(),
                                  deadline=event.deadline, **extra)

    @event_handler("routing", "report.deadline_changed", requeue_on_error=True)
    @consumes(ReportDeadlineChangedV1)
    def handle_report_deadline_changed(self, event: ReportDeadlineChangedV1) -> None:
        """Keep the accept deadline right, so the operator's unacknowledged queue is right."""
        repo.set_deadlines(self.db, event.report_id, event.accept_due_at, event.due_at, utcnow())
        self.db.commit()

    # --- the sweep ------------------------------------------------------------------------------------------

    @timer(interval=1.0)
    def sweep_agencies(self) -> None:
        """Send due agency deliveries (FOR UPDATE SKIP LOCKED, back-off in the query), one commit each."""
        Sweep(self.db, self.settings, self.courier, self.peers).agencies()

    @timer(interval=1.0)
    def sweep_citizens(self) -> None:
        """Fan out due citizen notices and send due citizen deliveries (intake asked at send time)."""
        Sweep(self.db, self.settings, self.courier, self.peers).citizens()

    # --- operators: see, redeliver, find the unacknowledged --------------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def list_deliveries(self, report_id: str) -> list[dict]:
        """Every delivery recorded for a report, oldest first."""
        return [delivery_view(r).model_dump(mode="json") for r in repo.deliveries_of(self.db, uuid.UUID(report_id))]

    @rpc(expected_exceptions=ServiceError)
    def query_deliveries(self, payload: dict) -> list[dict]:
        """Operators: any deliveries (e.g. state=failed); agency staff: only their agency's."""
        query = parse(ListDeliveries, payload)
        actor = policy.require(query.actor, policy.OPERATORS | policy.AGENCY_ROLES)
        rows = repo.list_deliveries(self.db, query, agency_code=policy.agency_scope(actor))
        return [delivery_view(r).model_dump(mode="json") for r in rows]

    @rpc(expected_exceptions=ServiceError)
    def redeliver(self, payload: dict) -> dict:
        """Operator action: a failed (or sent, unacknowledged) delivery goes back to pending, attempts reset."""
        cmd = parse(DeliveryRef, payload)
        policy.require(cmd.actor, policy.OPERATORS)
        now, row = utcnow(), self._delivery(cmd.delivery_id, lock=True)
        if row.state == "skipped":
            raise ServiceError(ErrorCode.DELIVERY_STATE_CONFLICT, f"delivery {row.id} was skipped: {row.last_error}")
        if row.channel == "none" and row.notice_id is not None:  # a citizen notice that could not fan out
            repo.update_notice(self.db, row.notice_id, now, state="pending", attempts=0, next_attempt_at=now)
            repo.skip_delivery(self.db, row.id, "redelivered: notice re-armed", now)
        else:
            try:
                state = backoff.redeliver(repo.state_of(row), now)
            except backoff.InvalidTransition as exc:
                raise ServiceError(ErrorCode.DELIVERY_STATE_CONFLICT, str(exc)) from None
            repo.save_state(self.db, row.id, state, now, acknowledged_by=None)
        log.info("delivery %s redelivered by %s", row.id, cmd.actor.sub)
        self.db.commit()
        return delivery_view(self._delivery(row.id)).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def list_unacknowledged(self, payload: dict) -> list[dict]:
        """Routed cases their agency has not acknowledged (by default only those past the accept deadline)."""
        query = parse(UnacknowledgedQuery, payload)
        actor = policy.require(query.actor, policy.OPERATORS | policy.AGENCY_ROLES)
        scope = policy.agency_scope(actor)
        if scope and query.agency_code and query.agency_code != scope:
            return []
        rows = repo.unacknowledged(self.db, scope or query.agency_code, utcnow(), query.overdue_only, query.limit)
        return [case_state_view(r).model_dump(mode="json") for r in rows]

    # --- agencies: acknowledge receipt ----------------------------------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def acknowledge_delivery(self, payload: dict) -> dict:
        """The agency confirms one delivery (by its id); a foreign delivery is a 404."""
        cmd = parse(DeliveryRef, payload)
        scope = policy.agency_scope(policy.require(cmd.actor, policy.AGENCY_ROLES))
        now, row = utcnow(), self._delivery(cmd.delivery_id, lock=True)
        if row.audience != "agency" or row.recipient != scope:
            raise ServiceError(ErrorCode.DELIVERY_NOT_FOUND, f"no delivery {cmd.delivery_id}")
        try:
            state = backoff.on_ack(repo.state_of(row), now)
        except backoff.InvalidTransition as exc:
            raise ServiceError(ErrorCode.DELIVERY_STATE_CONFLICT, str(exc)) from None
        repo.save_state(self.db, row.id, state, now, acknowledged_by=row.acknowledged_by or cmd.actor.sub)
        if row.kind == "case.routed":
            repo.acknowledge_case(self.db, row.report_id, scope, cmd.actor.sub, now)
        self.db.commit()
        return delivery_view(self._delivery(row.id)).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def acknowledge_case(self, payload: dict) -> dict:
        """The agency confirms it received a case routed to it (every sent delivery of it is acknowledged)."""
        cmd = parse(AcknowledgeCase, payload)
        scope = policy.agency_scope(policy.require(cmd.actor, policy.AGENCY_ROLES))
        if not repo.acknowledge_case(self.db, cmd.report_id, scope, cmd.actor.sub, utcnow()):
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no case {cmd.report_id} for {scope}")
        self.db.commit()
        case = repo.get_case(self.db, cmd.report_id)
        return CaseAcknowledged(report_id=case.report_id, agency_code=case.agency_code,
                                acknowledged_at=case.acknowledged_at).model_dump(mode="json")

    def _delivery(self, delivery_id, lock: bool = False):
        row = repo.get_delivery(self.db, delivery_id, lock=lock)
        if row is None:
            raise ServiceError(ErrorCode.DELIVERY_NOT_FOUND, f"no delivery {delivery_id}")
        return row

    # --- administrators: agency channels --------------------------------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def set_agency_channel(self, payload: dict) -> dict:
        """Create or replace an agency's channel (amqp, webhook, email), optionally per category."""
        cmd = parse(SetAgencyChannel, payload)
        policy.require(cmd.actor, frozenset({"administrator"}))
        now = utcnow()
        existing = repo.channel(self.db, cmd.id) if cmd.id else None
        if cmd.id and existing is None:
            raise ServiceError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {cmd.id}")
        keep = existing.secrets if existing is not None and existing.kind == "webhook" else None
        checked = policy.channel_settings(cmd, keep, self.settings.webhook_allow_http)
        channel_id = cmd.id or uuid.uuid4()
        if existing is None:
            repo.insert_channel(self.db, channel_id, now, **checked.values)
        else:
            repo.update_channel(self.db, channel_id, now, **checked.values)
        self.db.commit()
        return channel_view(repo.channel(self.db, channel_id), checked.new_secret).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def list_agency_channels(self, payload: dict) -> list[dict]:
        """Configured channels (secrets as hints only)."""
        query = parse(ListAgencyChannels, payload)
        policy.require(query.actor, policy.OPERATORS)
        return [channel_view(r).model_dump(mode="json") for r in repo.list_channels(self.db, query.agency_code)]

    @rpc(expected_exceptions=ServiceError)
    def delete_agency_channel(self, payload: dict) -> dict:
        """Remove a channel; its pending deliveries fail as `channel_removed` (visible, redeliverable)."""
        cmd = parse(ChannelRef, payload)
        policy.require(cmd.actor, frozenset({"administrator"}))
        if not repo.delete_channel(self.db, cmd.id):
            raise ServiceError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {cmd.id}")
        self.db.commit()
        return {"id": str(cmd.id), "deleted": True}

    # --- citizens: in-app inbox and unsubscribe -------------------------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def list_inbox(self, payload: dict) -> list[dict]:
        """In-app messages of a report's reporter, or of one follower of the case (the caller checked the token)."""
        query = parse(ListInbox, payload)
        return [inbox_view(r).model_dump(mode="json")
                for r in repo.list_inapp(self.db, query.report_id, query.recipient_ref, query.after, query.limit)]

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe_link(self, payload: dict) -> dict:
        """An e-mail's unsubscribe link: no more e-mail/SMS about that case to that recipient."""
        cmd = parse(UnsubscribeByLink, payload)
        row = repo.unsubscribe_by_token(self.db, cmd.token, utcnow())
        if row is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "unknown or expired unsubscribe link")
        case = repo.get_case(self.db, row.report_id)
        self.db.commit()
        return UnsubscribeResult(report_id=row.report_id, code=case.code if case else None,
                                 unsubscribed=True).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe_reporter(self, payload: dict) -> dict:
        """The reporter (tracking token checked by the caller) stops e-mail/SMS about their case."""
        cmd = parse(UnsubscribeReporter, payload)
        repo.unsubscribe_owner(self.db, cmd.report_id, utcnow())
        self.db.commit()
        return UnsubscribeResult(report_id=cmd.report_id, unsubscribed=True).model_dump(mode="json")

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
