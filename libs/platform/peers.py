"""Calls to another service with a bounded wait, over nameko's own RPC (the proxies its `RpcProxy` gives).

nameko 2.x waits for a service-to-service reply forever. `timed_call(self.intake, "get_report", 5.0,
payload=..)` sends the call through the worker's proxy (from nameko's `RpcProxy` dependency: one per worker,
never shared between green threads, carrying the call-id stack so the peer sees who calls) and waits at most
`timeout_s`. Every failure is a typed `PeerError` whose `reason` is a short code fit for logs and delivery
states:

| error | reason | when |
|---|---|---|
| `PeerTimeout` | `timeout` | no answer in time (the peer is slow, or stopped with its queue still there) |
| `PeerUnknown` | `unknown_service` | no queue for the service on this broker: the broker says so at once |
| `PeerRemoteError` | `remote:<Type>` | the peer answered with an error (`exc_type`, `value`, a ServiceError's
  `code`) |
| `PeerUnavailable` | `unavailable:<Type>` | the call could not be sent (broker unreachable, ...) |
| `PeerStopped` | `stopping` | `stopping()` became true while waiting: our own service is shutting down |

A reply that never comes would leave its waiter in nameko's shared reply listener for good; the waiter of each
call is removed whatever the outcome. Pass `stopping=stop_requested(worker_ctx)` from a timer's worker so a
shutdown does not wait for a peer that will not answer.

`PromptReplyListener` is nameko's reply listener for providers that build their own proxies: at stop it lets
go of its reply queue at once instead of at the consumer loop's next one-second poll (a service stops a second
sooner)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from typing import Any, Protocol

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import (
    IncorrectSignature,
    MalformedRequest,
    MethodNotFound,
    RemoteError,
    UnknownService,
)
from nameko.rpc import MethodProxy, ReplyListener, ServiceProxy, get_rpc_exchange

log = logging.getLogger(__name__)

POLL_S = 0.1  # how often a wait looks at `stopping()`
REJECTED_BY_PEER = (MethodNotFound, IncorrectSignature, MalformedRequest)  # nameko re-raises these by type


class PeerError(Exception):
    """A peer did not answer usefully; `reason` is a short code (see the module docstring)."""

    def __init__(self, service: str, method: str, reason: str):
        super().__init__(f"{service}.{method}: {reason}")
        self.service, self.method, self.reason = service, method, reason


class PeerTimeout(PeerError):
    """No answer within the bound."""


class PeerUnknown(PeerError):
    """No service of that name listens on this broker."""


class PeerUnavailable(PeerError):
    """The call could not be sent (broker unreachable or refusing)."""


class PeerStopped(PeerError):
    """Abandoned because this service is stopping (the call may still be handled by the peer)."""


class PeerRemoteError(PeerError):
    """The peer answered with an error."""

    def __init__(self, service: str, method: str, exc_type: str, value: str):
        super().__init__(service, method, f"remote:{exc_type}")
        self.exc_type, self.value = exc_type, value

    @property
    def code(self) -> str | None:
        """The error code of a remote `ServiceError` (its first argument), or None for any other error."""
        if self.exc_type != "ServiceError":
            return None
        try:
            args = ast.literal_eval(self.value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        return args[0] if isinstance(args, tuple) and args and isinstance(args[0], str) else None


class Reply(Protocol):
    def result(self) -> Any: ...


def stop_requested(worker_ctx) -> Callable[[], bool]:
    """True once the container began stopping the entrypoint that started this worker.

    nameko's `@timer` sets its `should_stop` event when the container stops (before it waits for the running
    tick); other entrypoints give no such signal, so for them this is always False.
    """
    should_stop = getattr(worker_ctx.entrypoint, "should_stop", None)
    return should_stop.ready if should_stop is not None else (lambda: False)


class PromptReplyListener(ReplyListener):
    """nameko's ReplyListener that wakes the container's consumer loop when it stops.

    nameko cancels a consumer only between two polls of its loop (one second apart when no message comes). The
    reply listener stops after the service's entrypoints, so it would cost one more poll; a message to its own
    reply queue (no correlation id: acknowledged and ignored) makes the loop turn at once.
    """

    def stop(self) -> None:
        self.container.spawn_managed_thread(self._wake, identifier="reply_listener.wake")
        super().stop()  # yields while waiting for the cancel: `_wake` runs then

    def _wake(self) -> None:
        try:
            Publisher(self.container.config[AMQP_URI_CONFIG_KEY]).publish(
                {},
                exchange=get_rpc_exchange(self.container.config),
                routing_key=self.routing_key,
                retry=False,
            )
        except Exception as exc:  # the broker is gone: the poll ends the wait anyway
            log.debug("reply listener wake-up not sent: %s", type(exc).__name__)


class _Waiter:
    """The shared reply listener as one call sees it: remembers the call's correlation id to forget it
    after."""

    def __init__(self, listener):
        self.listener, self.correlation_id = listener, None

    @property
    def routing_key(self) -> str:
        return self.listener.routing_key

    def get_reply_event(self, correlation_id: str):
        self.correlation_id = correlation_id
        return self.listener.get_reply_event(correlation_id)

    def forget(self) -> None:
        """Drop the call's waiter (already gone when the reply came; nameko offers no public way to do
        this)."""
        if self.correlation_id is not None:
            self.listener._reply_events.pop(self.correlation_id, None)


def timed_call(
    proxy: ServiceProxy,
    method: str,
    timeout_s: float,
    *,
    stopping: Callable[[], bool] | None = None,
    **kwargs: Any,
) -> Any:
    """`proxy.<method>(**kwargs)` answered within `timeout_s` seconds; may raise any PeerError."""
    waiter = _Waiter(proxy.reply_listener)
    send = MethodProxy(proxy.worker_ctx, proxy.service_name, method, waiter, **proxy.options).call_async
    try:
        return bounded(lambda: send(**kwargs), timeout_s, proxy.service_name, method, stopping)
    finally:
        waiter.forget()


def bounded(
    send: Callable[[], Reply],
    timeout_s: float,
    service: str,
    method: str,
    stopping: Callable[[], bool] | None = None,
) -> Any:
    """Send, then wait for the reply at most `timeout_s` (the sending counts); nameko's errors become
    PeerErrors."""
    if stopping is not None and stopping():
        raise PeerStopped(service, method, "stopping")
    timer = eventlet.Timeout(timeout_s)
    try:
        reply = send()
        while stopping is not None:
            with eventlet.Timeout(POLL_S, False):
                return reply.result()
            if stopping():
                raise PeerStopped(service, method, "stopping")
        return reply.result()
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        raise PeerTimeout(service, method, "timeout") from None
    except UnknownService:
        raise PeerUnknown(service, method, "unknown_service") from None
    except RemoteError as exc:
        raise PeerRemoteError(service, method, exc.exc_type, str(exc.value)) from None
    except REJECTED_BY_PEER as exc:
        raise PeerRemoteError(service, method, type(exc).__name__, str(exc)) from None
    except PeerError:
        raise
    except Exception as exc:  # the broker refused or could not be reached
        raise PeerUnavailable(service, method, f"unavailable:{type(exc).__name__}") from None
    finally:
        timer.cancel()
