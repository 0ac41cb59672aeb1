"""SUBSCRIPTIONS must list exactly the event handlers the services declare (else events could be dropped)."""

from __future__ import annotations

import importlib

from nameko.events import EventHandler

from libs.contracts.events import Event
from libs.platform.migrate import SERVICES
from libs.platform.topology import SUBSCRIPTIONS, queues_for


def declared_handlers() -> set[tuple[str, str, str, str]]:
    found = set()
    for service in SERVICES:
        cls = next(
            v
            for v in vars(importlib.import_module(f"services.{service}.service")).values()
            if isinstance(v, type) and getattr(v, "name", None) == service
        )
        for attr in dir(cls):
            for entrypoint in getattr(getattr(cls, attr), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler):
                    found.add((entrypoint.source_service, entrypoint.event_type, service, attr))
    return found


def test_subscriptions_match_the_event_handlers_of_every_service():
    listed = {(s.source, s.event_type, s.service, s.method) for s in SUBSCRIPTIONS}
    assert declared_handlers() == listed


def test_queue_names_follow_nameko_service_pool_naming():
    for sub in SUBSCRIPTIONS:
        [queue] = [q for q in queues_for(sub.source) if q.name == sub.queue_name]
        assert queue.name == f"evt-{sub.source}-{sub.event_type}--{sub.service}.{sub.method}"
        assert queue.durable and not queue.auto_delete and not queue.exclusive
        assert queue.routing_key == sub.event_type and queue.exchange.name == f"{sub.source}.events"


def test_every_subscribed_event_type_has_a_contract_from_its_producer():
    contracts = {(cls.producer, cls.event_type) for cls in Event.__subclasses__()}
    for sub in SUBSCRIPTIONS:
        assert (sub.source, sub.event_type) in contracts, sub
