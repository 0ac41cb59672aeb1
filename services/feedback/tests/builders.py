"""Test data: the events of one case's story, and delivering them to a running feedback container."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kombu import Connection
from nameko.testing.services import entrypoint_waiter

from libs.contracts.common import Location, Priority, Status
from libs.contracts.events import (
    Event,
    ReportAcceptedV1,
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
)
from libs.platform import topology

H = timedelta(hours=1)


def publish(stack, event: Event) -> None:
    """Publish an event as its producer's relay would (same exchange and routing key)."""
    exchange = topology.event_exchange(event.producer)
    with Connection(stack.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(
            event.model_dump(mode="json"), exchange=exchange, routing_key=event.event_type, declare=[exchange]
        )


def handler_of(event: Event) -> str:
    """The feedback method that consumes this event type."""
    return "handle_" + event.event_type.replace(".", "_")


def deliver(container, stack, *events: Event) -> None:
    """Publish each event and wait until the service handled (or skipped) it."""
    for event in events:
        with entrypoint_waiter(container, handler_of(event), timeout=10):
            publish(stack, event)


def changed(report_id, to_status="DA_CONG_KHAI", from_status="DA_XU_LY", **kw) -> ReportStatusChangedV1:
    return ReportStatusChangedV1(
        report_id=report_id,
        code="HT-2026-000009",
        category="CHIEU_SANG",
        from_status=from_status,
        to_status=to_status,
        actor_role="operator",
        **kw,
    )


def unique_agency() -> str:
    return f"TEST_{uuid.uuid4().hex[:10].upper()}"


def unique_ward() -> str:
    return f"{uuid.uuid4().int % 90000 + 10000}"


@dataclass
class Story:
    """The events of one case, told hour by hour from `t0` (no personal data, like the real ones)."""

    t0: datetime
    agency: str
    ward: str
    category: str = "CHIEU_SANG"
    report_id: uuid.UUID = field(default_factory=uuid.uuid4)
    events: list[Event] = field(default_factory=list)

    def _add(self, event: Event) -> Story:
        self.events.append(event)
        return self

    def at(self, hours: float) -> datetime:
        return self.t0 + hours * H

    def submitted(self, h: float = 0) -> Story:
        return self._add(
            ReportSubmittedV1(
                report_id=self.report_id,
                code="HT-2025-000001",
                category=self.category,
                priority=Priority.BINH_THUONG,
                location=Location(lat=18.34, lon=105.9),
                status=Status.CHO_TIEP_NHAN,
                channel="app",
                occurred_at=self.at(h),
            )
        )

    def step(self, h: float, src: str, dst: str, actor_role: str = "operator", **kw) -> Story:
        return self._add(
            ReportStatusChangedV1(
                report_id=self.report_id,
                code="HT-2025-000001",
                category=self.category,
                from_status=src,
                to_status=dst,
                actor_role=actor_role,
                occurred_at=self.at(h),
                **kw,
            )
        )

    def accepted(self, h: float) -> Story:
        self.step(h, "CHO_TIEP_NHAN", "DA_TIEP_NHAN")
        return self._add(
            ReportAcceptedV1(
                report_id=self.report_id,
                code="HT-2025-000001",
                category=self.category,
                priority=Priority.BINH_THUONG,
                location=Location(lat=18.34, lon=105.9),
                occurred_at=self.at(h),
            )
        )

    def routed(self, h: float, due_h: float) -> Story:
        self._add(
            ReportRoutedV1(
                report_id=self.report_id,
                code="HT-2025-000001",
                category=self.category,
                priority=Priority.BINH_THUONG,
                ward_code=self.ward,
                ward_approximate=True,
                agency_code=self.agency,
                reason="default",
                directory_version=1,
                accept_due_at=self.at(h + 8),
                due_at=self.at(due_h),
                occurred_at=self.at(h),
            )
        )
        return self.step(h, "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", agency_code=self.agency, ward_code=self.ward)

    def deadline(self, h: float, due_h: float) -> Story:
        return self._add(
            ReportDeadlineChangedV1(
                report_id=self.report_id,
                due_at=self.at(due_h),
                reason="extension_approved",
                occurred_at=self.at(h),
            )
        )

    def overdue(self, h: float, due_h: float) -> Story:
        return self._add(
            ReportOverdueV1(
                report_id=self.report_id,
                code="HT-2025-000001",
                agency_code=self.agency,
                due_at=self.at(due_h),
                deadline="process",
                level=1,
                occurred_at=self.at(h),
            )
        )

    def worked(self, h: float) -> Story:
        """The agency accepts the case."""
        return self.step(h, "DA_CHUYEN_XU_LY", "DANG_XU_LY", agency_code=self.agency, ward_code=self.ward)

    def published(self, h: float) -> Story:
        """The agency posts its result an hour before the operator publishes it."""
        self.step(h - 1, "DANG_XU_LY", "DA_XU_LY", agency_code=self.agency, ward_code=self.ward)
        return self.step(h, "DA_XU_LY", "DA_CONG_KHAI", agency_code=self.agency, ward_code=self.ward)

    def rated(self, h: float, rating: str) -> Story:
        return self.step(
            h,
            "DA_CONG_KHAI",
            "DA_DANH_GIA",
            actor_role="citizen",
            rating=rating,
            agency_code=self.agency,
            ward_code=self.ward,
        )
