"""AMQP channel: publish to the agencies' topic exchange with publisher confirms and the mandatory flag.

A message no queue is bound for comes back (basic.return) before the broker's ack: that is a failure
(`amqp_unroutable`), retried with back-off, so a case is never "sent" into the void while an agency's
queue is missing. One connection per process, reopened after any error; calls are serialised.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping

from kombu import Connection, Exchange, Producer, Queue

from ..domain import routingkeys
from . import DeliveryResult, transport_error
from .webhook import _json_default

CONTENT_TYPE = "application/json"


def agency_exchange() -> Exchange:
    """The documented exchange agencies bind their queues to (topic, durable)."""
    return Exchange(routingkeys.EXCHANGE, type="topic", durable=True, delivery_mode=2)


def agency_queue(agency: str) -> Queue:
    """The durable queue of one agency, bound to everything for it (`case.*.<AGENCY>.#`)."""
    code = routingkeys.segment(agency, what="agency")
    return Queue(
        f"agency.{code}",
        exchange=agency_exchange(),
        routing_key=routingkeys.agency_binding(code),
        durable=True,
        auto_delete=False,
    )


def provision(connection: Connection, agency: str) -> Queue:
    """Declare the exchange, the agency's queue and its binding (done by the platform, not by the agency)."""
    queue = agency_queue(agency)
    queue(connection.default_channel).declare()
    return queue


def broker_commands(agency: str, vhost: str, user: str | None = None) -> list[str]:
    """rabbitmqctl lines giving an agency's own user the right to read its queue and nothing else."""
    queue = agency_queue(agency).name
    user = user or queue.replace(".", "_").lower()
    pattern = "^" + queue.replace(".", "\\.") + "$"
    return [
        f"rabbitmqctl add_user {user} '<password>'",
        f"rabbitmqctl set_permissions -p {vhost} {user} '^$' '^$' '{pattern}'",
    ]


class AgencyExchange:
    """Publishes case messages; `publish` never raises for broker failures, it returns a DeliveryResult."""

    def __init__(self, amqp_uri: str, timeout: float = 10.0):
        self.amqp_uri, self.timeout = amqp_uri, timeout
        self._lock = threading.Lock()  # green under eventlet: one publish at a time on the channel
        self._conn: Connection | None = None
        self._producer: Producer | None = None
        self._returned: set[str] = set()

    def _on_return(self, exc, exchange, routing_key, message) -> None:
        self._returned.add(str(message.properties.get("message_id")))

    def _ready(self) -> Producer:
        if self._conn is None or not self._conn.connected:
            self.close()
            self._conn = Connection(
                self.amqp_uri, connect_timeout=self.timeout, transport_options={"confirm_publish": True}
            )
            self._conn.ensure_connection(max_retries=1)
            channel = self._conn.channel()
            channel.events["basic_return"].add(self._on_return)
            exchange = agency_exchange()
            exchange(channel).declare()
            self._producer = Producer(channel, exchange=exchange, serializer="json")
        return self._producer

    def publish(
        self,
        routing_key: str,
        body: Mapping[str, object],
        *,
        message_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        """Publish one persistent message; ok only when the broker confirmed it and routed it to a queue."""
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)
        with self._lock:
            self._returned.discard(message_id)
            try:
                self._ready().publish(
                    payload.encode(),
                    routing_key=routing_key,
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    delivery_mode=2,
                    mandatory=True,
                    message_id=message_id,
                    headers=dict(headers or {}),
                    retry=False,
                    timeout=self.timeout,
                    confirm_timeout=self.timeout,
                )
            except Exception as exc:  # connection lost, channel closed, nack, confirm timeout
                self.close()
                return transport_error(exc)
            if message_id in self._returned:
                self._returned.discard(message_id)
                return DeliveryResult(ok=False, error="amqp_unroutable")
        return DeliveryResult(ok=True)

    def close(self) -> None:
        """Drop the connection (reopened on the next publish)."""
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # already gone
                pass
        self._conn = self._producer = None
