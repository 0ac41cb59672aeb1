"""Every RPC the gateway waits on ends: a timeout (504) or unavailable (503), never a hang; a request nobody
waits for any more is dropped by the broker (its expiration is the call's timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from devtools.devstack import ROOT
from devtools.testing import wait_for

pytestmark = pytest.mark.interface


def test_missing_service_silent_service_and_dead_broker(stack):
    silent = f"silent{uuid.uuid4().hex[:8]}"
    with Connection(
        stack.amqp_uri
    ) as conn:  # a queue with no consumer: requests are accepted, never answered
        Queue(
            f"rpc-{silent}",
            exchange=Exchange("nameko-rpc", type="topic", durable=True),
            routing_key=f"{silent}.*",
            auto_delete=False,
        )(conn.default_channel).declare()
    done = subprocess.run(
        [sys.executable, "-m", "gateway.tests.rpc_probe", stack.amqp_uri, silent],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["missing_service"]["kind"] == "unavailable" and results["missing_service"]["seconds"] < 3
    assert results["silent_service"]["kind"] == "timeout" and 0.4 < results["silent_service"]["seconds"] < 3
    assert results["dead_broker"]["kind"] == "unavailable" and results["dead_broker"]["seconds"] < 5

    def waiting() -> int:  # the silent service's request expired with its caller's timeout: nothing is left
        with Connection(stack.amqp_uri) as conn:
            return conn.default_channel.queue_declare(f"rpc-{silent}", passive=True).message_count

    assert wait_for(waiting, lambda n: n == 0, 10, "the expired request dropped") == 0
