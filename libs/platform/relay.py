"""The outbox relay: publishes committed outbox rows with publisher confirms, oldest first.

Rows are locked with `FOR UPDATE SKIP LOCKED`, so several instances of a service share the work. A row is
stamped `published_at` only after the broker confirmed it; the request id stored with the row travels as the
`nameko.request_id` header (nameko's context data in every consumer); a failure becomes state (attempts, last_error,
next_attempt_at with back-off), never a hot loop. Delivery is at least once: consumers dedupe by event_id.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from kombu import Connection

from . import correlation, metrics, topology

log = logging.getLogger(__name__)

BACKOFF_S = (1, 2, 5, 15, 30, 60)


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

    def _producer_ready(self):
        if self._conn is None or not self._conn.connected:
            self.close()
            self._conn = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
            self._conn.ensure_connection(max_retries=1)
            topology.declare(self._conn.default_channel, self.source)
            self._producer = self._conn.Producer(serializer="json")
        return self._producer

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published (may raise on a database error)."""
        t = self.outbox
        with self.engine.begin() as db:
            rows = db.execute(
                sa.select(t.c.id, t.c.event_id, t.c.event_type, t.c.payload, t.c.attempts, t.c.request_id)
                .where(t.c.published_at.is_(None), t.c.next_attempt_at <= sa.func.now())
                .order_by(t.c.id).limit(self.batch).with_for_update(skip_locked=True)
            ).all()
            done = []
            for row in rows:
                try:
                    self._publish(row)
                except Exception as exc:  # broker down, channel closed, nack: becomes state
                    log.warning("outbox %s publish failed: %s", row.event_id, exc,
                                extra={"request_id": row.request_id})
                    metrics.OUTBOX_FAILURES.labels(self.source).inc()
                    self.close()
                    delay = BACKOFF_S[min(row.attempts, len(BACKOFF_S) - 1)]
                    db.execute(sa.update(t).where(t.c.id == row.id).values(
                        attempts=t.c.attempts + 1, last_error=str(exc)[:500],
                        next_attempt_at=sa.func.now() + timedelta(seconds=delay)))
                    break
                done.append(row.id)
            if done:
                db.execute(sa.update(t).where(t.c.id.in_(done)).values(published_at=sa.func.now()))
        if done:
            metrics.OUTBOX_PUBLISHED.labels(self.source).inc(len(done))
        return len(done)

    def _publish(self, row) -> None:
        producer = self._producer_ready()
        producer.publish(
            row.payload, exchange=topology.event_exchange(self.source), routing_key=row.event_type,
            delivery_mode=2, message_id=str(row.event_id), retry=False,
            headers=headers(row.event_type, row.request_id),
        )

    def drain(self) -> int:
        """Publish until nothing is due."""
        total = 0
        while (n := self.relay_once()):
            total += n
        return total

    def close(self) -> None:
        """Drop the broker connection (reopened on the next publish)."""
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # already gone
                pass
        self._conn = self._producer = None
