"""timed_call over the real RabbitMQ: a peer that answers (or answers with an error), a slow one and an absent
one, each called through nameko's own RpcProxy from inside a service, as services do; and the reply listener
that lets go of its queue at once when it stops."""

from __future__ import annotations

import time
import uuid

import eventlet
import pytest
from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc

from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError
from libs.platform.peers import PeerError, PromptReplyListener, timed_call

pytestmark = pytest.mark.interface
TAG = uuid.uuid4().hex[:8]  # the test vhost is shared by the session: names of our own


class Answering:
    name = f"peer_answering_{TAG}"

    @rpc
    def echo(self, payload: dict) -> dict:
        return {"echo": payload}

    @rpc(expected_exceptions=ServiceError)
    def missing(self, report_id: str) -> dict:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}")


class Slow:
    name = f"peer_slow_{TAG}"

    @rpc
    def echo(self, payload: dict) -> dict:
        eventlet.sleep(3)
        return {"echo": payload}


class Caller:
    """Asks its peers through nameko's RpcProxy; reports what happened, how long it took, and leftover
    waiters."""

    name = f"peer_caller_{TAG}"
    answering = RpcProxy(Answering.name)
    slow = RpcProxy(Slow.name)
    absent = RpcProxy(f"peer_absent_{TAG}")

    @rpc
    def ask(self, peer: str, method: str, timeout_s: float, **kwargs) -> dict:
        started = time.monotonic()
        try:
            outcome = {"result": timed_call(getattr(self, peer), method, timeout_s, **kwargs)}
        except PeerError as exc:
            outcome = {"error": type(exc).__name__, "reason": exc.reason, "code": getattr(exc, "code", None)}
        return {
            **outcome,
            "seconds": time.monotonic() - started,
            "waiting": len(self.slow.reply_listener._reply_events),
        }


@pytest.fixture
def caller(container_factory, stack, rpc):
    for service in (Answering, Slow, Caller):
        container_factory(service, {"AMQP_URI": stack.amqp_uri}).start()
    return getattr(rpc, Caller.name)


def test_a_peer_that_answers(caller):
    answer = caller.ask("answering", "echo", 5, payload={"x": "Phường Thành Sen"})
    assert answer["result"] == {"echo": {"x": "Phường Thành Sen"}} and answer["waiting"] == 0


def test_a_peer_that_answers_with_an_error_gives_its_code(caller):
    answer = caller.ask("answering", "missing", 5, report_id="r-1")
    assert (answer["error"], answer["reason"], answer["code"]) == (
        "PeerRemoteError",
        "remote:ServiceError",
        "REPORT_NOT_FOUND",
    )
    unknown_method = caller.ask("answering", "no_such_method", 5)
    assert (unknown_method["error"], unknown_method["reason"]) == ("PeerRemoteError", "remote:MethodNotFound")


def test_a_slow_peer_is_a_timeout_within_the_bound_and_leaves_no_waiter(caller):
    answer = caller.ask("slow", "echo", 0.5, payload={})
    assert (answer["error"], answer["reason"]) == ("PeerTimeout", "timeout")
    assert 0.5 <= answer["seconds"] < 1.5 and answer["waiting"] == 0
    assert caller.ask("slow", "echo", 10, payload={"y": 1})["result"] == {"echo": {"y": 1}}  # it does answer


def test_an_absent_peer_is_unknown_at_once(caller):
    answer = caller.ask("absent", "echo", 5, payload={})
    assert (answer["error"], answer["reason"]) == ("PeerUnknown", "unknown_service")
    assert answer["seconds"] < 1.0 and answer["waiting"] == 0


class Replies(DependencyProvider):
    listener = PromptReplyListener()


class Listening:
    name = f"peer_listening_{TAG}"
    replies = Replies()

    @rpc
    def ping(self) -> str:
        return "pong"


def test_a_prompt_reply_listener_lets_go_of_its_queue_at_once(container_factory, stack):
    container = container_factory(Listening, {"AMQP_URI": stack.amqp_uri})
    container.start()
    [listener] = [e for e in container.subextensions if isinstance(e, PromptReplyListener)]
    probe = listener.get_reply_event("probe")
    with Connection(stack.amqp_uri) as conn:
        conn.Producer().publish(
            {"result": 1}, exchange="nameko-rpc", routing_key=listener.routing_key, correlation_id="probe"
        )
    with eventlet.Timeout(10):
        probe.wait()  # the consumer loop has just turned: its next poll is a second away
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 0.5  # a plain ReplyListener waits for that poll
