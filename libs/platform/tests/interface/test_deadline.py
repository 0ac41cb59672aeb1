"""A request whose deadline passed before a worker took it is not worked on; one with time left is; events and
timers carry no deadline onward."""

from __future__ import annotations

import time
import uuid

import pytest
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from libs.platform import deadline
from libs.platform.telemetry import Telemetry

pytestmark = pytest.mark.interface
TAG = uuid.uuid4().hex[:8]
DONE: list[str] = []


class Worker:
    name = f"deadline_worker_{TAG}"
    telemetry = Telemetry()

    @rpc
    def work(self, token: str) -> str:
        DONE.append(token)
        return token


@pytest.fixture
def call(container_factory, stack):
    container_factory(Worker, {"AMQP_URI": stack.amqp_uri, "METRICS_PORT": "off"}).start()

    def call_with(context_data: dict, token: str) -> str:
        with ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, timeout=15, context_data=context_data) as proxy:
            return getattr(proxy, Worker.name).work(token)

    return call_with


def test_a_request_past_its_deadline_is_not_worked_on(call):
    token = uuid.uuid4().hex
    with pytest.raises(RemoteError) as raised:
        call({deadline.CONTEXT_KEY: deadline.after(-5)}, token)
    assert raised.value.exc_type == "DeadlinePassed" and token not in DONE


@pytest.mark.parametrize(
    "context",
    [{deadline.CONTEXT_KEY: 30}, {}, {deadline.CONTEXT_KEY: "later"}],
    ids=["time-left", "absent", "malformed"],
)
def test_a_request_with_time_left_or_no_deadline_is_worked_on(call, context):
    if isinstance(context.get(deadline.CONTEXT_KEY), int):  # 30 s from now, not from collection (a loaded run
        context = {deadline.CONTEXT_KEY: deadline.after(context[deadline.CONTEXT_KEY])}  # may start it later)
    token = uuid.uuid4().hex
    assert call(context, token) == token and token in DONE


def test_passed_tolerates_a_small_clock_skew():
    now = time.time()
    assert deadline.passed({deadline.CONTEXT_KEY: now - deadline.SKEW_S / 2}, now) is None
    assert deadline.passed({deadline.CONTEXT_KEY: now - 2}, now) == pytest.approx(2)
    assert deadline.passed({deadline.CONTEXT_KEY: deadline.after(-2, now)}, now) == pytest.approx(2, abs=0.01)
