"""State read when Prometheus scrapes: the outbox, the inbox, queues; each probe returns samples of
`STATE_GAUGES`.

A probe is `probe(conn, now) -> list[Sample]` over one database connection (services add their own, e.g.
intake's open cases). `StateCollector` runs them at most once per `ttl_s` and serves the last good values; a
failing probe is logged, keeps its previous samples and sets `ht_metrics_probe_up{probe} 0`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from .metrics import STATE_GAUGES

log = logging.getLogger(__name__)


class Sample(NamedTuple):
    name: str
    labels: dict[str, str]
    value: float


Probe = Callable[[sa.Connection, datetime], list[Sample]]


def outbox_probe(outbox: sa.Table, service: str) -> Probe:
    """Unpublished rows and the age of the oldest (the partial index `ix_outbox_pending` serves it)."""
    query = sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
        outbox.c.published_at.is_(None)
    )

    def probe(conn, now):
        count, oldest = conn.execute(query).one()
        age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        return [
            Sample("ht_outbox_backlog", {"service": service}, count),
            Sample("ht_outbox_oldest_age_seconds", {"service": service}, age),
        ]

    probe.__name__ = "outbox"
    return probe


def inbox_probe(inbox: sa.Table, service: str) -> Probe:
    """Events parked as failed or invalid (the partial index `ix_inbox_parked` serves it)."""
    query = sa.select(sa.func.count()).select_from(inbox).where(inbox.c.outcome != "handled")

    def probe(conn, now):
        return [Sample("ht_inbox_parked", {"service": service}, conn.execute(query).scalar_one())]

    probe.__name__ = "inbox"
    return probe


class StateCollector:
    """A Prometheus collector of state gauges, refreshed on scrape at most once per `ttl_s`.

    Sources are keyed `(service, name)`: one process usually runs one service, tests run several.
    """

    def __init__(self, ttl_s: float = 5.0):
        self.ttl_s = ttl_s
        self.sources: dict[tuple[str, str], Callable[[datetime], list[Sample]]] = {}
        self._samples: dict[tuple[str, str], list[Sample]] = {}
        self._up: dict[tuple[str, str], int] = {}
        self._at = float("-inf")
        self._lock = threading.Lock()  # green under eventlet

    def add(self, service: str, name: str, read: Callable[[datetime], list[Sample]]) -> None:
        """Register a source of samples (`read(now)`; may raise, which marks it down)."""
        self.sources[(service, name)] = read
        self._at = float("-inf")

    def remove(self, service: str) -> None:
        """Forget a service's sources and samples."""
        for key in [k for k in self.sources if k[0] == service]:
            self.sources.pop(key)
            self._samples.pop(key, None)
            self._up.pop(key, None)

    def refresh(self) -> None:
        """Read every source now (one at a time)."""
        now = datetime.now(UTC)
        for key, read in list(self.sources.items()):
            try:
                self._samples[key] = read(now)
                self._up[key] = 1
            except Exception as exc:  # database or broker unreachable: keep the last values, say so
                log.warning("state probe %s/%s failed: %s", *key, (str(exc).splitlines() or [repr(exc)])[0])
                self._up[key] = 0
        self._at = time.monotonic()

    def describe(self) -> Iterable:
        return []  # no read at registration time

    def collect(self) -> Iterable[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl_s:
                self.refresh()
            samples = [s for group in self._samples.values() for s in group]
            samples += [
                Sample("ht_metrics_probe_up", {"service": k[0], "probe": k[1]}, up)
                for k, up in self._up.items()
            ]
        yield from families(samples)


def families(samples: list[Sample]) -> list[GaugeMetricFamily]:
    """Group samples into gauge families described by `STATE_GAUGES`."""
    out: dict[str, GaugeMetricFamily] = {}
    for s in samples:
        help_text, label_names = STATE_GAUGES[s.name]
        family = out.get(s.name)
        if family is None:
            family = out[s.name] = GaugeMetricFamily(s.name, help_text, labels=list(label_names))
        family.add_metric([str(s.labels[k]) for k in label_names], float(s.value))
    return list(out.values())


def database_source(engine: sa.Engine, probes: list[Probe]) -> Callable[[datetime], list[Sample]]:
    """Run `probes` over one pooled connection, in one read-only transaction."""

    def read(now: datetime) -> list[Sample]:
        with engine.connect() as conn:
            conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            return [s for probe in probes for s in probe(conn, now)]

    return read


def queue_source(amqp_uri: str, queues: list[tuple[str, str]]) -> Callable[[datetime], list[Sample]]:
    """Messages ready and consumers of each `(queue, consumer service)`, by passive declares on one
    connection."""
    from kombu import Connection

    state: dict = {"conn": None}

    def read(now: datetime) -> list[Sample]:
        conn = state["conn"]
        if conn is None or not conn.connected:
            if conn is not None:
                conn.release()
            conn = state["conn"] = Connection(amqp_uri, connect_timeout=3)
            conn.ensure_connection(max_retries=1)
        out, channel = [], None
        try:
            channel = conn.channel()
            for queue, consumer in queues:
                try:
                    _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
                except conn.channel_errors:  # no such queue (yet): nobody consumes it; the channel was closed
                    messages = consumers = 0
                    channel = conn.channel()
                labels = {"queue": queue, "consumer": consumer}
                out += [
                    Sample("ht_queue_messages", labels, messages),
                    Sample("ht_queue_consumers", labels, consumers),
                ]
        except Exception:
            conn.release()
            state["conn"] = None
            raise
        finally:
            if channel is not None and state["conn"] is not None:
                channel.close()
        return out

    return read
