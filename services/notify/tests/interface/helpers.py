"""Shared pieces of notify's interface tests: test-only intake and routing, builders, event publishing,
waiting."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from devtools.testing import wait_for  # noqa: F401  (the tests import it from here)
from libs.contracts.events import Event, ReportRoutedV1, ReportStatusChangedV1
from libs.platform import topology
from services.notify.service import NotifyService

OPERATOR = {"sub": "op-test", "role": "operator", "agency": None}
ADMIN = {"sub": "admin-test", "role": "administrator", "agency": None}
FAST = {
    "NOTIFY_QUIET_HOURS": "off",
    "NOTIFY_HTTP_TIMEOUT_S": "3",
    "NOTIFY_RPC_TIMEOUT_S": "3",
    "NOTIFY_AGENCY_RETRY_DELAYS": "1,1,1",
    "NOTIFY_AGENCY_RETRY_STEADY_S": "1",
    "NOTIFY_AGENCY_MAX_ATTEMPTS": "30",
    "NOTIFY_CITIZEN_RETRY_DELAYS": "1,1,1",
    "NOTIFY_CITIZEN_RETRY_STEADY_S": "1",
    "NOTIFY_CITIZEN_MAX_ATTEMPTS": "30",
    "NOTIFY_WEBHOOK_ALLOW_HTTP": "true",
    "NOTIFY_PUBLIC_URL": "https://ht.example.vn",
}


class FakeIntake:
    """A real nameko service named `intake` answering only `notification_recipients` (test-only).

    RECIPIENTS maps a report id to what intake would answer; CALLS records each (report_id, purpose) asked,
    as the real intake writes an audit row per read.
    """

    name = "intake"
    RECIPIENTS: dict[str, list[dict]] = {}
    CALLS: list[tuple[str, str]] = []

    @rpc
    def notification_recipients(self, payload: dict) -> list[dict]:
        self.CALLS.append((payload["report_id"], payload["purpose"]))
        return self.RECIPIENTS.get(payload["report_id"], [])


class CallIdStack(DependencyProvider):
    """The call-id stack of the current call (who called, as the real services audit it)."""

    def get_dependency(self, worker_ctx) -> list[str]:
        return list(worker_ctx.call_id_stack or [])


class FakeRouting:
    """A real nameko service named `routing` answering only `list_names` with NAMES (test-only); CALLERS
    records the service each call came from."""

    name = "routing"
    NAMES: dict = {"version": 0}
    CALLERS: list[str] = []
    stack = CallIdStack()

    @rpc
    def list_names(self) -> dict:
        self.CALLERS.append(self.stack[-2].split(".", 1)[0] if len(self.stack) >= 2 else "unknown")
        return self.NAMES


def agency_code() -> str:
    return f"T_{secrets.token_hex(4).upper()}"


def person(
    language: str = "vi",
    email: bool = True,
    phone: bool = False,
    role: str = "reporter",
    report_id: uuid.UUID | None = None,
) -> dict:
    """A recipient as intake answers it, with random (fake) contact details."""
    tag = secrets.token_hex(4)
    return {
        "recipient_ref": f"ref-{tag}",
        "language": language,
        "role": role,
        "unsubscribed": False,
        "email": f"citizen-{tag}@example.vn" if email else None,
        "phone": f"09{int(tag, 16) % 10**8:08d}" if phone else None,
        "report_id": str(report_id) if report_id else None,
    }


def routed(agency: str, category: str = "GIAO_THONG_HA_TANG", **overrides) -> ReportRoutedV1:
    now = datetime.now(UTC)
    values = dict(
        report_id=uuid.uuid4(),
        code=f"HT-2026-{secrets.randbelow(10**6):06d}",
        category=category,
        priority="BINH_THUONG",
        ward_code="18073",
        ward_approximate=True,
        agency_code=agency,
        reason="default",
        directory_version=1,
        accept_due_at=now + timedelta(hours=8),
        due_at=now + timedelta(days=7),
    )
    values.update(overrides)
    return ReportRoutedV1(**values)


def status_changed(
    report_id: uuid.UUID, code: str, frm: str | None, to: str, **overrides
) -> ReportStatusChangedV1:
    values = dict(
        report_id=report_id,
        code=code,
        category="GIAO_THONG_HA_TANG",
        from_status=frm,
        to_status=to,
        actor_role="operator",
    )
    values.update(overrides)
    return ReportStatusChangedV1(**values)


def publish(stack, event: Event, amqp_uri: str | None = None) -> None:
    """Publish an event as its producer's relay would (exchange and consumer queues declared first)."""
    with Connection(amqp_uri or stack.amqp_uri) as conn:
        topology.declare(conn.default_channel, event.producer)
        conn.Producer(serializer="json").publish(
            event.model_dump(mode="json"),
            exchange=topology.event_exchange(event.producer),
            routing_key=event.event_type,
            delivery_mode=2,
        )


def set_channel(rpc_proxy, **fields) -> dict:
    return rpc_proxy.notify.set_agency_channel(payload={"actor": ADMIN, **fields})


def deliveries(rpc_proxy, report_id, **filters) -> list[dict]:
    return rpc_proxy.notify.query_deliveries(
        payload={"report_id": str(report_id), "actor": OPERATOR, **filters}
    )


@pytest.fixture
def start_notify(start_service):
    """Start notify with fast retries and no quiet hours, plus any settings given."""

    def start(**settings: str):
        return start_service(NotifyService, "notify", **{**FAST, **settings})

    return start


@pytest.fixture
def fake_intake(container_factory, stack):
    """The test-only intake (a real service on the broker), with empty answers to start with."""
    FakeIntake.RECIPIENTS.clear()
    FakeIntake.CALLS.clear()
    container = container_factory(FakeIntake, {"AMQP_URI": stack.amqp_uri})
    container.start()
    return FakeIntake
