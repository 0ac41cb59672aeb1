"""Case changes for the staff console's live views: each gateway process binds one exclusive, auto-deleted
queue to intake's and routing's event exchanges (`report.#`) and fans what arrives out to its open
server-sent-event streams. Events carry no personal data; a stream of agency staff only gets its own agency's
cases.

This is a hint channel ("case X changed, read it again"), not a record: a message missed while the queue was
being re-created costs nothing, because the console re-reads its queue on every hint and on every reconnect.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

import aio_pika
from aio_pika.exceptions import AMQPError

log = logging.getLogger(__name__)
SOURCES = ("intake", "routing")
MAX_BACKLOG = 200  # a subscriber that falls that far behind gets one "resync" instead


@dataclass(frozen=True)
class CaseChange:
    """What a console needs to know that a case changed."""

    report_id: str
    event_type: str
    status: str | None
    agencies: frozenset[str]

    def for_agency(self, agency: str | None) -> bool:
        return agency is not None and agency in self.agencies

    def as_json(self) -> str:
        return json.dumps({"report_id": self.report_id, "type": self.event_type, "status": self.status})


def change_of(event_type: str, payload: dict) -> CaseChange | None:
    """The change an event announces (None for events without a report)."""
    report_id = payload.get("report_id")
    if not report_id:
        return None
    agencies = {payload.get(k) for k in ("agency_code", "actor_agency", "escalation_agency")}
    agencies |= set(payload.get("co_handlers") or []) | set(payload.get("previous_agencies") or [])
    return CaseChange(
        str(report_id),
        event_type,
        payload.get("to_status") or payload.get("status"),
        frozenset(a for a in agencies if a),
    )


@dataclass
class CaseFeed:
    """The process's subscription and its subscribers (one asyncio queue per open stream)."""

    amqp_uri: str
    subscribers: set[asyncio.Queue] = field(default_factory=set)
    _connection: aio_pika.abc.AbstractRobustConnection | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self) -> None:
        """Bind the queue (once; a robust connection re-declares it after a broker restart)."""
        async with self._lock:
            if self._connection is not None:
                return
            connection = await aio_pika.connect_robust(self.amqp_uri, timeout=5)
            channel = await connection.channel()
            queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
            for source in SOURCES:
                exchange = await channel.declare_exchange(
                    f"{source}.events", aio_pika.ExchangeType.TOPIC, durable=True
                )
                await queue.bind(exchange, routing_key="report.#")
            await queue.consume(self._on_message, no_ack=True)
            self._connection = connection

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            change = change_of(message.routing_key or "", json.loads(message.body))
        except (ValueError, AttributeError):
            return
        if change is not None:
            for queue in list(self.subscribers):
                if queue.qsize() < MAX_BACKLOG:
                    queue.put_nowait(change)

    async def subscribe(self) -> asyncio.Queue:
        """A queue of CaseChange for one stream (starts the subscription on first use; may raise
        AMQPError)."""
        try:
            await self.start()
        except (TimeoutError, AMQPError, OSError) as exc:
            log.warning("case feed unavailable: %s", exc)
            raise
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)
