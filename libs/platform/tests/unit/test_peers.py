"""The bounded wait of a peer call, and how nameko's outcomes become typed PeerErrors (no broker: fake
replies)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import eventlet
import pytest
from eventlet.event import Event
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService

from libs.platform import peers
from libs.platform.peers import (
    PeerRemoteError,
    PeerStopped,
    PeerTimeout,
    PeerUnavailable,
    PeerUnknown,
    bounded,
    stop_requested,
)


class Reply:
    """A reply that comes `delay` seconds after the call with `value`, or raises `error` (like nameko's
    RpcReply, its wait may be interrupted and resumed)."""

    def __init__(self, value=None, delay: float = 0.0, error: Exception | None = None):
        self.value, self.error, self.event = value, error, Event()
        eventlet.spawn_after(delay, self.event.send, True)

    def result(self):
        self.event.wait()
        if self.error is not None:
            raise self.error
        return self.value


def timed(fn):
    started = time.monotonic()
    try:
        return fn(), time.monotonic() - started
    except Exception as exc:
        return exc, time.monotonic() - started


def test_an_answer_within_the_bound_is_returned():
    assert bounded(lambda: Reply({"ok": 1}, delay=0.05), 2.0, "intake", "get_report") == {"ok": 1}
    stop = Event()
    assert bounded(lambda: Reply([1], delay=0.25), 2.0, "intake", "get_report", stop.ready) == [1]


@pytest.mark.parametrize("stopping", [None, lambda: False])
def test_a_slow_peer_is_a_timeout_after_the_bound(stopping):
    error, seconds = timed(lambda: bounded(lambda: Reply(delay=5), 0.3, "intake", "get_report", stopping))
    assert isinstance(error, PeerTimeout) and error.reason == "timeout" and 0.25 < seconds < 1.5
    assert (error.service, error.method) == ("intake", "get_report")


def test_a_send_that_hangs_counts_against_the_bound():
    def hang():
        eventlet.sleep(5)
        return Reply()

    error, seconds = timed(lambda: bounded(hang, 0.3, "intake", "get_case"))
    assert isinstance(error, PeerTimeout) and seconds < 1.5


def test_stopping_abandons_the_wait_at_once():
    stop = Event()
    eventlet.spawn_after(0.3, stop.send, True)
    error, seconds = timed(lambda: bounded(lambda: Reply(delay=5), 10, "intake", "x", stop.ready))
    assert isinstance(error, PeerStopped) and error.reason == "stopping" and 0.25 < seconds < 1.5


def test_nothing_is_sent_once_stopping():
    sent = []
    error, _ = timed(lambda: bounded(lambda: sent.append(1) or Reply(), 5, "intake", "x", lambda: True))
    assert isinstance(error, PeerStopped) and sent == []


def test_an_absent_service_is_unknown():
    def refuse():
        raise UnknownService("intake")

    error, seconds = timed(lambda: bounded(refuse, 5, "intake", "get_report"))
    assert isinstance(error, PeerUnknown) and error.reason == "unknown_service" and seconds < 0.5


@pytest.mark.parametrize(
    "exc_type, value, code",
    [
        ("ServiceError", "('REPORT_NOT_FOUND', 'no report 7', [])", "REPORT_NOT_FOUND"),
        (
            "ServiceError",
            "('VALIDATION_FAILED', 'bad', [{'field': 'x', 'message': 'y', 'type': 'z'}])",
            "VALIDATION_FAILED",
        ),
        ("ServiceError", "not a tuple (", None),
        ("KeyError", "('REPORT_NOT_FOUND',)", None),
    ],
)
def test_a_remote_error_keeps_its_type_value_and_service_error_code(exc_type, value, code):
    reply = Reply(error=RemoteError(exc_type, value))
    error, _ = timed(lambda: bounded(lambda: reply, 5, "intake", "get_case"))
    assert isinstance(error, PeerRemoteError) and error.reason == f"remote:{exc_type}"
    assert (error.exc_type, error.value, error.code) == (exc_type, value, code)


def test_errors_nameko_raises_by_type_are_remote_errors_too():
    error, _ = timed(
        lambda: bounded(lambda: Reply(error=MethodNotFound("list_names")), 5, "routing", "list_names")
    )
    assert isinstance(error, PeerRemoteError) and error.exc_type == "MethodNotFound" and error.code is None


def test_a_broker_that_cannot_be_reached_is_unavailable():
    def refuse():
        raise ConnectionRefusedError(111, "Connection refused")

    error, _ = timed(lambda: bounded(refuse, 5, "intake", "x"))
    assert isinstance(error, PeerUnavailable) and error.reason == "unavailable:ConnectionRefusedError"


def test_someone_elses_timeout_is_not_taken_for_ours():
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.2):
            bounded(lambda: Reply(delay=5), 10, "intake", "x")


def test_the_waiter_of_a_call_is_forgotten_whatever_the_outcome():
    listener = SimpleNamespace(routing_key="rk", _reply_events={"other": Event()})
    listener.get_reply_event = lambda cid: listener._reply_events.setdefault(cid, Event())
    waiter = peers._Waiter(listener)
    assert waiter.routing_key == "rk"
    waiter.forget()  # no call made: nothing to drop
    waiter.get_reply_event("mine")
    assert set(listener._reply_events) == {"other", "mine"}
    waiter.forget()
    waiter.forget()  # idempotent (the reply may have removed it already)
    assert set(listener._reply_events) == {"other"}


def test_stop_requested_follows_a_timer_and_is_false_elsewhere():
    should_stop = Event()
    timer_ctx = SimpleNamespace(entrypoint=SimpleNamespace(should_stop=should_stop))
    stopping = stop_requested(timer_ctx)
    assert stopping() is False
    should_stop.send(True)
    assert stopping() is True
    assert stop_requested(SimpleNamespace(entrypoint=SimpleNamespace()))() is False
