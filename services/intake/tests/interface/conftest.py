"""Intake's interface tests leave no backlog: events they caused are purged from other services' queues."""

from __future__ import annotations

import pytest
from kombu import Connection

from libs.platform import topology

SOURCES = ("intake", "routing", "media")  # intake emits; the tests publish routing's and media's events


@pytest.fixture(autouse=True, scope="module")
def purge_event_queues(stack):
    """After each module: empty the durable event queues of this test vhost (only events these tests
    caused)."""
    yield
    with Connection(stack.amqp_uri) as conn:
        channel = conn.default_channel
        for source in SOURCES:
            for queue in topology.queues_for(source):
                bound = queue(channel)
                bound.declare()
                bound.purge()
