"""The outbox relay: publishes committed outbox rows with publisher confirms, oldest first.

Rows are locked with `FOR UPDATE SKIP LOCKED`, so several instances of a service share the work. A batch is
published with its confirms in flight (every message sent on one confirm-mode channel, then the broker's acks
awaited together: one round trip a batch, not one a message; order is kept, one channel). A row is stamped
`published_at` only after the broker confirmed it (ack); the request id stored with the row travels as the
`nameko.request_id` header (nameko's context data in every consumer); a failure becomes state (attempts,
last_error, next_attempt_at with back-off), never a hot loop. Delivery is at least once: consumers dedupe by
event_id."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from kombu import Connection

from . import correlation, metrics, topology

log = logging.getLogger(__name__)

BACKOFF_S = (1, 2, 5, 15, 30, 60)
CONFIRM_TIMEOUT_S = (
    10.0  # a batch's confirms not all in by then: the unconfirmed rows are retried (at least once)
)


class Nacked(RuntimeError):
    """The broker refused a message (basic.nack): it was not stored."""


class Confirms:
    """The publisher confirms of one confirm-mode channel: delivery tags count from 1 after confirm.select."""

    def __init__(self, channel):
        self.channel, self.sent = channel, 0
        self.acked = 0  # every tag up to here is settled (ack or nack)
        self.nacked: set[int] = set()
        self._settled: set[int] = set()
        channel.events["basic_ack"].add(self._ack)
        channel.events["basic_nack"].add(self._nack)
        channel.confirm_select()

    def _settle(self, tag: int, multiple: bool) -> None:
        if multiple:
            self.acked = max(self.acked, tag)
        else:
            self._settled.add(tag)
        while self.acked + 1 in self._settled:
            self.acked += 1
            self._settled.discard(self.acked)

    def _ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _nack(self, tag: int, multiple: bool) -> None:
        self.nacked.update(range(self.acked + 1, tag + 1) if multiple else (tag,))
        self._settle(tag, multiple)

    def wait(self, connection, timeout: float) -> None:
        """Until every message sent so far is settled (raises socket.timeout / a connection error)."""
        deadline = time.monotonic() + timeout
        while self.acked < self.sent:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"{self.sent - self.acked} publisher confirms not received in {timeout:g} s"
                )
            connection.drain_events(timeout=left)


def headers(event_type: str, request_id: str | None) -> dict:
    """Message headers of a relayed event: its type, and the request id as nameko context data."""
    found = {"event_type": event_type}
    if request_id:
        found[correlation.AMQP_HEADER] = request_id
    return found


class OutboxRelay:
    """Moves rows from one service's outbox table to its event exchange."""

    def __init__(self, engine: sa.Engine, outbox: sa.Table, amqp_uri: str, source: str, batch: int = 200):
        self.engine, self.outbox, self.source, self.batch = engine, outbox, source, batch
        self.amqp_uri = amqp_uri
        self._conn: Connection | None = None
        self._producer = None
        self._confirms: Confirms | None = None

    def _producer_ready(self):
        if self._conn is None or not self._conn.connected:
            self.close()
            self._conn = Connection(
                self.amqp_uri
            )  # confirms handled here (Confirms), not one publish at a time
            self._conn.ensure_connection(max_retries=1)
            channel = self._conn.default_channel
            topology.declare(channel, self.source)
            self._confirms = Confirms(channel)
            self._producer = self._conn.Producer(channel, serializer="json")
        return self._producer

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published (may raise on a database error)."""
        t = self.outbox
        with self.engine.begin() as db:
            rows = db.execute(
                sa.select(t.c.id, t.c.event_id, t.c.event_type, t.c.payload, t.c.attempts, t.c.request_id)
                .where(t.c.published_at.is_(None), t.c.next_attempt_at <= sa.func.now())
                .order_by(t.c.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            done, failed = self._publish_batch(rows)
            if failed is not None:
                row, exc = failed
                log.warning(
                    "outbox %s publish failed: %s", row.event_id, exc, extra={"request_id": row.request_id}
                )
                metrics.OUTBOX_FAILURES.labels(self.source).inc()
                self.close()
                delay = BACKOFF_S[min(row.attempts, len(BACKOFF_S) - 1)]
                db.execute(
                    sa.update(t)
                    .where(t.c.id == row.id)
                    .values(
                        attempts=t.c.attempts + 1,
                        last_error=str(exc)[:500],
                        next_attempt_at=sa.func.now() + timedelta(seconds=delay),
                    )
                )
            if done:
                db.execute(sa.update(t).where(t.c.id.in_(done)).values(published_at=sa.func.now()))
        if done:
            metrics.OUTBOX_PUBLISHED.labels(self.source).inc(len(done))
        return len(done)

    def _publish_batch(self, rows) -> tuple[list[int], tuple | None]:
        """Send every row, then await their confirms together. Returns the ids the broker confirmed (a prefix
        of the rows, oldest first) and the first row not confirmed with its error (None when all were)."""
        if not rows:
            return [], None
        first, error = None, None
        try:
            producer = self._producer_ready()
            confirms = self._confirms
            assert confirms is not None  # _producer_ready opened them
            first = confirms.sent + 1
            for row in rows:
                producer.publish(
                    row.payload,
                    exchange=topology.event_exchange(self.source),
                    routing_key=row.event_type,
                    delivery_mode=2,
                    message_id=str(row.event_id),
                    retry=False,
                    headers=headers(row.event_type, row.request_id),
                )
                confirms.sent += 1
            confirms.wait(self._conn, CONFIRM_TIMEOUT_S)
        except (
            Exception
        ) as exc:  # broker down, channel closed, confirms late: what was confirmed still counts
            error = exc
        ok = 0
        if first is not None and self._confirms is not None:
            confirms = self._confirms
            while ok < len(rows) and first + ok <= confirms.acked and first + ok not in confirms.nacked:
                ok += 1
            confirms.nacked.clear()
        if ok == len(rows):
            return [r.id for r in rows], None
        return [r.id for r in rows[:ok]], (rows[ok], error or Nacked("the broker refused the message (nack)"))

    def drain(self) -> int:
        """Publish until nothing is due."""
        total = 0
        while n := self.relay_once():
            total += n
        return total

    def close(self) -> None:
        """Drop the broker connection (reopened on the next publish)."""
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # already gone
                pass
        self._conn = self._producer = self._confirms = None
