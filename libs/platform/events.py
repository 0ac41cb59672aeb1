"""Idempotent event consumption: validate with the contract class, skip an event_id already handled.

A handler that raises is rolled back and redelivered after a short, growing pause (never a hot loop); after
`MAX_ATTEMPTS` failures of the same event the event is parked in the inbox as `failed` with its error, where
operators can see it, and acknowledged. Each outcome is counted (`libs.platform.metrics`: handled with its
time, duplicate, retried, parked) and the event's report id is bound to the worker's log lines."""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections import OrderedDict

from pydantic import ValidationError

from libs.contracts.events import Event

from . import correlation, metrics

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_failures: OrderedDict[tuple[uuid.UUID, str], int] = OrderedDict()  # per process; bounded


def _event_id(payload) -> uuid.UUID:
    raw = payload.get("event_id") if isinstance(payload, dict) else None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, repr(payload))


def _park(self, event_id, consumer: str, event_type: str, outcome: str, error: str) -> None:
    self.db.rollback()
    self.db.claim(event_id, consumer, event_type, outcome=outcome, error=error[:2000])
    self.db.commit()


def consumes(model: type[Event]):
    """Decorate an event handler `fn(self, event)`: it runs once per event_id; `self.db` is the UnitOfWork.

    An invalid payload is recorded in the inbox as `invalid` (and never retried); the handler must commit.
    """

    def decorate(fn):
        consumer = f"{fn.__qualname__}"

        @functools.wraps(fn)
        def handler(self, payload):
            started, service, event_type = time.perf_counter(), self.name, model.event_type
            try:
                event = model.model_validate(payload)
            except ValidationError as exc:
                log.error("%s: invalid %s: %s", consumer, event_type, exc)
                _park(self, _event_id(payload), consumer, event_type, "invalid", str(exc))
                metrics.EVENTS_PARKED.labels(service, event_type, "invalid").inc()
                return None
            report_id = getattr(event, "report_id", None)
            if report_id is not None:
                correlation.bind_report(report_id)
            if not self.db.claim(event.event_id, consumer, event_type):
                log.info("%s: %s %s already handled", consumer, event_type, event.event_id)
                self.db.rollback()
                metrics.child(metrics.INBOX_DUPLICATES, service, event_type).inc()
                return None
            key = (event.event_id, consumer)
            try:
                result = fn(self, event)
            except Exception as exc:
                attempts = _failures.pop(key, 0) + 1
                if attempts >= MAX_ATTEMPTS:
                    log.exception(
                        "%s: %s %s parked after %d attempts", consumer, event_type, event.event_id, attempts
                    )
                    _park(self, event.event_id, consumer, event_type, "failed", repr(exc))
                    metrics.EVENTS_PARKED.labels(service, event_type, "failed").inc()
                    return None
                _failures[key] = attempts
                while len(_failures) > 10_000:
                    _failures.popitem(last=False)
                metrics.EVENT_RETRIES.labels(service, event_type).inc()
                time.sleep(min(0.2 * 2**attempts, 10))  # green under eventlet: the pause frees the hub
                raise
            _failures.pop(key, None)
            elapsed = time.perf_counter() - started
            metrics.child(metrics.EVENTS_HANDLED, service, event_type).inc()
            metrics.child(metrics.EVENT_DURATION, service, event_type).observe(elapsed)
            log.info("%s %s handled in %.1f ms", event_type, event.event_id, elapsed * 1000)
            return result

        return handler

    return decorate
