"""The notify service: deliveries of cases to agencies and of news to citizens.

Consumes: routing `report.routed`.
Emits: nothing yet.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.events import ReportRoutedV1
from libs.contracts.health import ServiceHealth
from libs.contracts.notify import DeliveryView
from libs.platform.db import Database
from libs.platform.errors import ServiceError
from libs.platform.events import consumes

from .models import deliveries, inbox


class NotifyService:
    """Records (and, with channels configured, performs) deliveries."""

    name = "notify"
    db = Database(inbox=inbox)

    @event_handler("routing", "report.routed", requeue_on_error=True)
    @consumes(ReportRoutedV1)
    def handle_report_routed(self, event: ReportRoutedV1) -> None:
        """A new case for an agency: one pending delivery to it."""
        self.db.execute(sa.insert(deliveries).values(
            id=uuid.uuid4(), report_id=event.report_id, cause_event_id=event.event_id,
            recipient=event.agency_code, channel="amqp", kind="case.routed", state="pending",
            next_attempt_at=utcnow(), created_at=utcnow()))
        self.db.commit()

    @rpc(expected_exceptions=ServiceError)
    def list_deliveries(self, report_id: str) -> list[dict]:
        """Every delivery recorded for a report, oldest first."""
        rows = self.db.execute(sa.select(deliveries).where(deliveries.c.report_id == uuid.UUID(report_id))
                               .order_by(deliveries.c.created_at)).all()
        return [DeliveryView(id=r.id, report_id=r.report_id, recipient=r.recipient, channel=r.channel,
                             kind=r.kind, state=r.state, attempts=r.attempts, last_error=r.last_error,
                             created_at=r.created_at).model_dump(mode="json") for r in rows]

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")
