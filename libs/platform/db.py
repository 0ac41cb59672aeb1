"""The database dependency: one SQLAlchemy session per worker, rolled back unless committed.

The injected `UnitOfWork` also writes events to the service's outbox (same transaction) and claims
incoming event ids in its inbox. After a commit that wrote events, the relay is woken at once; a timer
sweeps whatever is left (for example rows written while the broker was down).
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from libs.contracts.errors import ErrorCode
from libs.contracts.events import Event

from . import correlation
from .boot import assert_green
from .errors import ServiceError
from .relay import OutboxRelay

log = logging.getLogger(__name__)


# A pooled connection idle longer than this is checked (SELECT 1) before use; one in steady use is not: the
# server-side end of a busy connection cannot have gone unnoticed for long, and a ping on every checkout was
# one more round trip per unit of work (3-6 % of each service's CPU on the submission path,
# docs/benchmarks.md).
PING_IDLE_S = 2.0


def make_engine(url: str, pool_size: int = 10, ping_idle_s: float = PING_IDLE_S) -> sa.Engine:
    """An engine whose pool is at least the worker count; a connection idle for `ping_idle_s` is checked
    before use (replaced when dead, e.g. after a database restart). A failed statement is logged without its
    parameters (they may be personal data or a secret)."""
    engine = sa.create_engine(
        url, pool_size=pool_size, max_overflow=5, pool_recycle=1800, hide_parameters=True
    )

    @sa.event.listens_for(engine.pool, "checkin")
    def _idle_since(dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(dbapi_conn, record, proxy):
        idle_since = record.info.get("idle_since")  # None: a connection just opened
        if idle_since is None or time.monotonic() - idle_since < ping_idle_s:
            return
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_conn.rollback()  # hand it out outside any transaction, as the pool does
        except Exception as exc:  # the pool discards it and checks out another (up to three times)
            raise sa.exc.DisconnectionError(f"pooled connection dead after idling: {exc}") from exc

    return engine


# PostgreSQL's "try the transaction again" answers: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_retryable(exc: BaseException) -> bool:
    """Whether the database refused a transaction only because of a concurrent one (running it again may
    pass)."""
    return isinstance(exc, sa.exc.DBAPIError) and getattr(exc.orig, "pgcode", None) in RETRYABLE_SQLSTATES


def retry_conflicts(attempts: int = 4, pause_s: float = 0.05):
    """Decorate a worker method whose unit of work is `self.db`: a deadlock or serialization failure rolls
    back and runs the whole method again (after a short random pause, so the two transactions do not meet
    again); when the last attempt fails too, the caller gets CONCURRENT_CHANGE (409), never an internal error.

    The method must decide everything from what it reads inside its transaction (it is run from the start)."""

    def wrap(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return method(self, *args, **kwargs)
                except sa.exc.DBAPIError as exc:
                    if not is_retryable(exc):
                        raise
                    self.db.rollback()
                    log.warning(
                        "%s: %s (attempt %d of %d)",
                        method.__name__,
                        getattr(exc.orig, "pgerror", None) or exc.orig,
                        attempt,
                        attempts,
                    )
                    if attempt == attempts:
                        raise ServiceError(
                            ErrorCode.CONCURRENT_CHANGE,
                            "the case changed concurrently; try again",
                            [
                                {
                                    "field": "report_id",
                                    "message": "thay đổi đồng thời / changed concurrently",
                                    "type": "concurrent_change",
                                }
                            ],
                        ) from None
                    time.sleep(random.uniform(0, pause_s * attempt))  # green under eventlet

        return run

    return wrap


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
        """Write events to the outbox, in the current transaction (one statement, in the order given).

        Each row keeps the request id of the work in hand: the relay sends it with the event.
        """
        if self._outbox is None:
            raise RuntimeError("this service has no outbox")
        if events:  # an executemany: one INSERT .. VALUES (..), (..) on PostgreSQL, compiled once per process
            request_id = correlation.request_id.get()
            self.session.execute(
                sa.insert(self._outbox),
                [
                    dict(
                        event_id=e.event_id,
                        event_type=e.event_type,
                        payload=e.model_dump(mode="json"),
                        request_id=request_id,
                    )
                    for e in events
                ],
            )
            self._emitted += len(events)

    def claim(
        self, event_id, consumer: str, event_type: str, outcome: str = "handled", error: str | None = None
    ) -> bool:
        """Record that `consumer` handles `event_id`; False if it already did (skip the event)."""
        inbox = self._inbox
        if inbox is None:
            raise RuntimeError("this service has no inbox")
        stmt = pg_insert(inbox).values(
            event_id=event_id, consumer=consumer, event_type=event_type, outcome=outcome, error=error
        )
        return (
            self.session.execute(stmt.on_conflict_do_nothing().returning(inbox.c.event_id)).first()
            is not None
        )

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
    """Injects a `UnitOfWork`; runs the outbox relay of the service when it has an outbox. `read_only`: every
    transaction is READ ONLY (PostgreSQL refuses any write), for a service that only reads (intake_reads)."""

    def __init__(
        self,
        outbox: sa.Table | None = None,
        inbox: sa.Table | None = None,
        relay_interval: float = 1.0,
        read_only: bool = False,
    ):
        if read_only and (outbox is not None or inbox is not None):
            raise ValueError("a read-only database has no outbox and no inbox")
        self.outbox, self.inbox, self.relay_interval, self.read_only = (
            outbox,
            inbox,
            relay_interval,
            read_only,
        )
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
        if self.read_only:
            self.engine = self.engine.execution_options(postgresql_readonly=True)
        if self.outbox is not None:
            self.relay = OutboxRelay(
                self.engine, self.outbox, config["AMQP_URI"], self.container.service_name
            )

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
                assert self.relay is not None  # the loop runs only with a relay
                self.relay.drain()
            except Exception:  # database unreachable: try again at the next tick
                log.exception("outbox relay failed")
        if self.relay is not None:
            self.relay.close()

    def get_dependency(self, worker_ctx) -> UnitOfWork:
        uow = UnitOfWork(Session(self.engine), self.outbox, self.inbox, self._wake.set)
        self.units[worker_ctx] = uow
        return uow

    def worker_teardown(self, worker_ctx) -> None:
        uow = self.units.pop(worker_ctx, None)
        if uow is not None:
            uow.session.close()  # rolls back anything not committed
