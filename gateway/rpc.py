"""A small asyncio client speaking nameko 2.x's RPC protocol over aio-pika.

One connection and one exclusive reply queue per gateway process; every call has a timeout.
Protocol: publish `{"args": [], "kwargs": {...}}` to the `nameko-rpc` topic exchange with routing key
`<service>.<method>`, `reply_to` = our reply routing key and a `correlation_id`; the reply is
`{"result": ..., "error": {"exc_type", "exc_path", "exc_args", "value"} | null}`.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
from aio_pika.exceptions import AMQPError, DeliveryError

RPC_EXCHANGE = "nameko-rpc"


class RpcTimeout(Exception):
    """The service did not answer in time (maps to 504)."""


class RpcUnavailable(Exception):
    """The broker or the service is not reachable (maps to 503)."""


class RemoteError(Exception):
    """The service raised: `exc_type` and `exc_args` as nameko serialised them."""

    def __init__(self, exc_type: str, exc_args: list, value: str):
        super().__init__(exc_type, value)
        self.exc_type, self.exc_args, self.value = exc_type, exc_args, value


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
                    RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
                queue = await channel.declare_queue(f"rpc.reply-{self.name}-{self.reply_key}",
                                                    exclusive=True, auto_delete=True)
                await queue.bind(self._exchange, routing_key=self.reply_key)
                await queue.consume(self._on_reply, no_ack=True)
            except (AMQPError, OSError, asyncio.TimeoutError) as exc:
                self._exchange = None
                raise RpcUnavailable(f"broker unreachable: {exc}") from exc

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._exchange = None

    async def _on_reply(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(json.loads(message.body))

    async def call(self, service: str, method: str, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call `service.method(**kwargs)`; may raise RpcTimeout, RpcUnavailable or RemoteError."""
        if self._exchange is None:
            await self.connect()
        correlation_id = str(uuid.uuid4())
        future = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        body = json.dumps({"args": [], "kwargs": kwargs}).encode()
        message = aio_pika.Message(body, content_type="application/json", content_encoding="utf-8",
                                   reply_to=self.reply_key, correlation_id=correlation_id,
                                   headers={"nameko.call_id_stack": [f"{self.name}.http.{correlation_id}"]})
        try:
            await self._exchange.publish(message, routing_key=f"{service}.{method}", mandatory=True,
                                         timeout=timeout or self.timeout)
            reply = await asyncio.wait_for(future, timeout or self.timeout)
        except DeliveryError as exc:  # returned: no queue bound, the service is not running
            raise RpcUnavailable(f"service {service} is not running") from exc
        except asyncio.TimeoutError as exc:
            raise RpcTimeout(f"{service}.{method} did not answer within {timeout or self.timeout}s") from exc
        except (AMQPError, OSError, RuntimeError) as exc:
            raise RpcUnavailable(f"broker unreachable: {exc}") from exc
        finally:
            self._pending.pop(correlation_id, None)
        error = reply.get("error")
        if error:
            raise RemoteError(error.get("exc_type", "Exception"), error.get("exc_args") or [],
                              error.get("value", ""))
        return reply.get("result")
