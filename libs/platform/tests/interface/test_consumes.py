"""A failing handler is retried with pauses, then parked in the inbox; a poison payload is parked at once."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection
from nameko.events import event_handler
from nameko.testing.services import entrypoint_waiter

from libs.contracts.events import ReportUnroutableV1
from libs.platform import events as platform_events
from libs.platform import topology
from libs.platform.db import Database
from libs.platform.events import consumes
from libs.platform.tables import inbox_table

pytestmark = pytest.mark.interface

SCHEMA = f"consumes_{uuid.uuid4().hex[:8]}"
metadata = sa.MetaData(schema=SCHEMA)
inbox = inbox_table(metadata)
calls: list[str] = []


class Flaky:
    """Fails on its first two tries of each event, then succeeds."""

    name = "flaky_consumer"
    db = Database(inbox=inbox)

    @event_handler("routing", "report.unroutable", requeue_on_error=True)
    @consumes(ReportUnroutableV1)
    def handle_report_unroutable(self, event: ReportUnroutableV1) -> None:
        calls.append(event.reason)
        if event.reason == "always_fails" or calls.count(event.reason) <= 2:
            raise RuntimeError(f"boom {event.reason}")
        self.db.commit()


@pytest.fixture
def schema(stack):
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{SCHEMA}"'))
        metadata.create_all(conn)
    yield
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))


def publish(stack, body: dict) -> None:
    exchange = topology.event_exchange("routing")
    with Connection(stack.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(
            body, exchange=exchange, routing_key="report.unroutable", declare=[exchange]
        )


def outcome(stack, event_id) -> tuple[str, str | None] | None:
    with stack.engine.connect() as conn:
        row = conn.execute(
            sa.select(inbox.c.outcome, inbox.c.error).where(inbox.c.event_id == event_id)
        ).first()
    return tuple(row) if row else None


def event(reason: str) -> ReportUnroutableV1:
    return ReportUnroutableV1(
        report_id=uuid.uuid4(), code="HT-2026-000001", category="KHAC", reason=reason, directory_version=1
    )


def test_retried_with_pauses_then_handled(stack, schema, start_service, monkeypatch):
    monkeypatch.setattr(platform_events, "MAX_ATTEMPTS", 5)
    container = start_service(Flaky, "intake")
    evt = event(f"flaky-{uuid.uuid4().hex[:6]}")
    with entrypoint_waiter(
        container,
        "handle_report_unroutable",
        timeout=30,
        callback=lambda worker_ctx, result, exc_info: exc_info is None,
    ):
        publish(stack, evt.model_dump(mode="json"))
    assert calls.count(evt.reason) == 3
    assert outcome(stack, evt.event_id) == ("handled", None)


def test_parked_as_failed_after_the_last_attempt(stack, schema, start_service, monkeypatch):
    monkeypatch.setattr(platform_events, "MAX_ATTEMPTS", 3)
    container = start_service(Flaky, "intake")
    evt = event("always_fails")
    with entrypoint_waiter(
        container,
        "handle_report_unroutable",
        timeout=30,
        callback=lambda worker_ctx, result, exc_info: exc_info is None,
    ):
        publish(stack, evt.model_dump(mode="json"))
    state, error = outcome(stack, evt.event_id)
    assert state == "failed" and "boom always_fails" in error


def test_poison_payload_is_parked_as_invalid(stack, schema, start_service):
    container = start_service(Flaky, "intake")
    event_id = uuid.uuid4()
    with entrypoint_waiter(container, "handle_report_unroutable", timeout=10):
        publish(stack, {"event_id": str(event_id), "report_id": "not-a-uuid"})
    state, error = outcome(stack, event_id)
    assert state == "invalid" and "report_id" in error
