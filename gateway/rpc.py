"""A small asyncio client speaking nameko 2.x's RPC protocol over aio-pika.

One connection and one exclusive reply queue per gateway process; every call has a timeout.
Protocol: publish `{"args": [], "kwargs": {...}}` to the `nameko-rpc` topic exchange with routing key
`<service>.<method>`, `reply_to` = our reply routing key and a `correlation_id`, the request id as nameko
context data (header `nameko.request_id`: the service's worker and everything it calls carry it); the reply is
`{"result": ..., "error": {"exc_type", "exc_path", "exc_args", "value"} | null}`.

Deadlines travel with the work: a request is published with an AMQP `expiration` equal to the call's timeout
(RabbitMQ drops it unread once nobody waits for it) and the same instant as context data (header
`nameko.deadline`, Unix seconds as a string): a service skips a worker whose deadline passed while it waited
for a free worker (`libs.platform.deadline`)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import aio_pika
from aio_pika.exceptions import AMQPError, DeliveryError

from libs.contracts.errors import ErrorCode
from libs.platform import correlation, deadline
from libs.platform.metrics import child

from .observability import RPC_CALLS, RPC_DURATION

RPC_EXCHANGE = "nameko-rpc"


class RpcTimeout(Exception):
    """The service did not answer in time (maps to 504)."""


class RpcUnavailable(Exception):
    """The broker or the service is not reachable (maps to 503)."""


class RemoteError(Exception):
    """The service raised: `exc_type` and `exc_args` as nameko serialised them, decoded here once: a
    `ServiceError` (libs.platform.errors) travels as `[code, detail, errors]`."""

    def __init__(self, exc_type: str, exc_args: list, value: str):
        super().__init__(exc_type, value)
        self.exc_type, self.exc_args, self.value = exc_type, exc_args, value

    @property
    def code(self) -> ErrorCode | None:
        """The ServiceError's code; None for any other exception (a bug in the service) or an unknown code."""
        if self.exc_type != "ServiceError" or not self.exc_args:
            return None
        try:
            return ErrorCode(self.exc_args[0])
        except ValueError:
            return None

    @property
    def detail(self) -> str | None:
        """The ServiceError's human detail."""
        return self.exc_args[1] if self.code is not None and len(self.exc_args) > 1 else None

    @property
    def errors(self) -> list[dict]:
        """The ServiceError's field errors (`{field, message, type}`)."""
        return list((self.exc_args[2] if self.code is not None and len(self.exc_args) > 2 else None) or [])


class RpcClient:
    """`await client.call("intake", "submit_report", payload=...)`."""

    def __init__(self, amqp_uri: str, timeout: float, name: str = "gateway"):
        self.amqp_uri, self.timeout, self.name = amqp_uri, timeout, name
        self.reply_key = str(uuid.uuid4())
        self._pending: dict[str, asyncio.Future] = {}
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Open the connection and the reply queue (may raise RpcUnavailable)."""
        async with self._lock:
            if self._exchange is not None:
                return
            try:
                self._connection = await aio_pika.connect_robust(self.amqp_uri, timeout=self.timeout)
                channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
                self._exchange = await channel.declare_exchange(
                    RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
                )
                queue = await channel.declare_queue(
                    f"rpc.reply-{self.name}-{self.reply_key}", exclusive=True, auto_delete=True
                )
                await queue.bind(self._exchange, routing_key=self.reply_key)
                await queue.consume(self._on_reply, no_ack=True)
            except (TimeoutError, AMQPError, OSError) as exc:
                self._exchange = None
                raise RpcUnavailable(f"broker unreachable: {exc}") from exc

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._exchange = None

    def _headers(self, correlation_id: str, timeout: float) -> dict:
        headers = {
            "nameko.call_id_stack": [f"{self.name}.http.{correlation_id}"],
            deadline.HEADER: deadline.after(timeout),
        }
        request_id = correlation.request_id.get()
        if request_id:
            headers[correlation.AMQP_HEADER] = request_id
        return headers

    async def _on_reply(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(json.loads(message.body))

    async def call(self, service: str, method: str, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call `service.method(**kwargs)`; may raise RpcTimeout, RpcUnavailable or RemoteError."""
        started, outcome = time.perf_counter(), "ok"
        try:
            return await self._call(service, method, timeout, kwargs)
        except RemoteError:
            outcome = "remote_error"
            raise
        except RpcTimeout:
            outcome = "timeout"
            raise
        except RpcUnavailable:
            outcome = "unavailable"
            raise
        finally:
            child(RPC_DURATION, service, method).observe(time.perf_counter() - started)
            child(RPC_CALLS, service, method, outcome).inc()

    async def queue_state(self, names: list[str]) -> dict[str, tuple[int, int]]:
        """(messages ready, consumers) of each existing queue, by passive declares on a channel of its own."""
        if self._exchange is None:
            await self.connect()
        found: dict[str, tuple[int, int]] = {}
        channel = await self._connection.channel()
        try:
            for name in names:
                try:
                    queue = await channel.declare_queue(name, passive=True)
                except AMQPError:  # no such queue: the broker closed the channel
                    channel = await self._connection.channel()
                    continue
                result = queue.declaration_result
                found[name] = (result.message_count, result.consumer_count)
        finally:
            if not channel.is_closed:
                await channel.close()
        return found

    async def _call(self, service: str, method: str, timeout: float | None, kwargs: dict) -> Any:
        if self._exchange is None:
            await self.connect()
        correlation_id, timeout = str(uuid.uuid4()), timeout or self.timeout
        future = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        body = json.dumps({"args": [], "kwargs": kwargs}).encode()
        message = aio_pika.Message(
            body,
            content_type="application/json",
            content_encoding="utf-8",
            reply_to=self.reply_key,
            correlation_id=correlation_id,
            headers=self._headers(correlation_id, timeout),
            expiration=max(timeout, 0.001),
        )
        try:
            async with asyncio.timeout(timeout):  # one budget for the publish and the answer, as the deadline
                await self._exchange.publish(message, routing_key=f"{service}.{method}", mandatory=True)
                reply = await future
        except DeliveryError as exc:  # returned: no queue bound, the service is not running
            raise RpcUnavailable(f"service {service} is not running") from exc
        except TimeoutError as exc:
            raise RpcTimeout(f"{service}.{method} did not answer within {timeout}s") from exc
        except (AMQPError, OSError, RuntimeError) as exc:
            raise RpcUnavailable(f"broker unreachable: {exc}") from exc
        finally:
            self._pending.pop(correlation_id, None)
        error = reply.get("error")
        if error:
            raise RemoteError(
                error.get("exc_type", "Exception"), error.get("exc_args") or [], error.get("value", "")
            )
        return reply.get("result")
