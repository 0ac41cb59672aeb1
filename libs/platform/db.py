"""The database dependency: one SQLAlchemy session per worker, rolled back unless committed.

The injected `UnitOfWork` also writes events to the service's outbox (same transaction) and claims
incoming event ids in its inbox. After a commit that wrote events, the relay is woken at once; a timer
sweeps whatever is left (for example rows written while the broker was down).
"""
from __future__ import annotations

import logging
import threading
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from libs.contracts.events import Event

from .boot import assert_green
from .relay import OutboxRelay

log = logging.getLogger(__name__)


def make_engine(url: str, pool_size: int = 10) -> sa.Engine:
    """An engine whose pool is at least the worker count; connections checked before use."""
    return sa.create_engine(url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True,
                            pool_recycle=1800)


class UnitOfWork:
    """What a worker gets: a session, an outbox, an inbox; nothing is kept unless `commit()` is called."""

    def __init__(self, session: Session, outbox: sa.Table | None, inbox: sa.Table | None, on_commit):
        self.session = session
        self._outbox, self._inbox, self._on_commit = outbox, inbox, on_commit
        self._emitted = 0

    def execute(self, statement, params=None):
        """Run a statement in this unit of work's transaction."""
        return self.session.execute(statement, params)

    def emit(self, *events: Event) -> None:
        """Write events to the outbox, in the current transaction (one statement, in the order given)."""
        if self._outbox is None:
            raise RuntimeError("this service has no outbox")
        if events:  # an executemany: one INSERT .. VALUES (..), (..) on PostgreSQL, compiled once per process
            self.session.execute(sa.insert(self._outbox), [dict(
                event_id=e.event_id, event_type=e.event_type, payload=e.model_dump(mode="json")) for e in events])
            self._emitted += len(events)

    def claim(self, event_id, consumer: str, event_type: str, outcome: str = "handled",
              error: str | None = None) -> bool:
        """Record that `consumer` handles `event_id`; False if it already did (skip the event)."""
        stmt = pg_insert(self._inbox).values(event_id=event_id, consumer=consumer, event_type=event_type,
                                             outcome=outcome, error=error)
        return self.session.execute(
            stmt.on_conflict_do_nothing().returning(self._inbox.c.event_id)).first() is not None

    def commit(self) -> None:
        """Commit the state change and its events together; wake the relay if events were written."""
        self.session.commit()
        if self._emitted:
            self._emitted = 0
            self._on_commit()

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            self.session.execute(sa.text("SELECT 1"))
            self.session.rollback()
            return True
        except Exception:
            return False

    def rollback(self) -> None:
        """Discard everything since the last commit."""
        self.session.rollback()
        self._emitted = 0


class Database(DependencyProvider):
    """Injects a `UnitOfWork`; runs the outbox relay of the service when it has an outbox."""

    def __init__(self, outbox: sa.Table | None = None, inbox: sa.Table | None = None,
                 relay_interval: float = 1.0):
        self.outbox, self.inbox, self.relay_interval = outbox, inbox, relay_interval
        self.units: WeakKeyDictionary = WeakKeyDictionary()
        self.engine: sa.Engine | None = None
        self.relay: OutboxRelay | None = None
        self._wake = threading.Event()  # green after monkey-patching
        self._running = False

    def setup(self) -> None:
        assert_green()
        config = self.container.config
        workers = int(config.get("max_workers", 10))
        self.engine = make_engine(config["DATABASE_URL"], pool_size=workers + 2)
        if self.outbox is not None:
            self.relay = OutboxRelay(self.engine, self.outbox, config["AMQP_URI"], self.container.service_name)

    def start(self) -> None:
        if self.relay is not None:
            self._running = True
            self.container.spawn_managed_thread(self._relay_loop)

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def kill(self) -> None:
        self.stop()

    def _relay_loop(self) -> None:
        while self._running:
            self._wake.wait(self.relay_interval)
            self._wake.clear()
            if not self._running:
                break
            try:
                self.relay.drain()
            except Exception:  # database unreachable: try again at the next tick
                log.exception("outbox relay failed")
        self.relay.close()

    def get_dependency(self, worker_ctx) -> UnitOfWork:
        uow = UnitOfWork(Session(self.engine), self.outbox, self.inbox, self._wake.set)
        self.units[worker_ctx] = uow
        return uow

    def worker_teardown(self, worker_ctx) -> None:
        uow = self.units.pop(worker_ctx, None)
        if uow is not None:
            uow.session.close()  # rolls back anything not committed
