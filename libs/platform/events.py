"""Idempotent event consumption: validate with the contract class, skip an event_id already handled."""
from __future__ import annotations

import functools
import logging
import uuid

from pydantic import ValidationError

from libs.contracts.events import Event

log = logging.getLogger(__name__)


def consumes(model: type[Event]):
    """Decorate an event handler `fn(self, event)`: it runs once per event_id; `self.db` is the UnitOfWork.

    An invalid payload is recorded in the inbox as `invalid` (and never retried); the handler must commit.
    """

    def decorate(fn):
        consumer = f"{fn.__qualname__}"

        @functools.wraps(fn)
        def handler(self, payload):
            try:
                event = model.model_validate(payload)
            except ValidationError as exc:
                raw_id = payload.get("event_id") if isinstance(payload, dict) else None
                try:
                    event_id = uuid.UUID(str(raw_id))
                except ValueError:
                    event_id = uuid.uuid5(uuid.NAMESPACE_URL, repr(payload))
                log.error("%s: invalid %s %s: %s", consumer, model.event_type, event_id, exc)
                self.db.claim(event_id, consumer, model.event_type, outcome="invalid", error=str(exc)[:2000])
                self.db.commit()
                return None
            if not self.db.claim(event.event_id, consumer, model.event_type):
                log.info("%s: %s %s already handled", consumer, model.event_type, event.event_id)
                self.db.rollback()
                return None
            return fn(self, event)

        return handler

    return decorate
