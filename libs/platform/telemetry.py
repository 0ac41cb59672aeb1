"""The `Telemetry` dependency every service declares: request ids, metrics and the health/metrics HTTP port.

Per worker (RPC, event, timer): the request id from nameko's context data (a fresh one when the call or event
carries none) is put back into the context data, so it travels with every RPC the worker makes, and bound to
the worker's greenthread, so it is on every log line and every outbox row the worker writes; the report id
found in the arguments is bound too. RPCs and timers are timed and counted (events are, by `consumes`).

The service's own small HTTP port (`METRICS_PORT`, `0` = any free port, `off` = none; `METRICS_HOST`):
- `/metrics`: Prometheus text, with state gauges (outbox backlog, parked events, queue consumers, and the
  service's own probes) read from the database and the broker when scraped;
- `/health/live`: 200 while the process's event loop turns;
- `/health/ready`: 200 when the database answers and the service's RPC queue exists on the broker.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

import eventlet
import eventlet.wsgi
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from . import correlation, deadline, metrics, probes, topology

log = logging.getLogger(__name__)
SLOW_RPC_S = 1.0
STATE = probes.StateCollector()  # one per process, whatever the number of services in it
REGISTRY.register(STATE)


def _report_of(worker_ctx) -> str | None:
    """A report id among the worker's arguments: `report_id=`, or a payload (RPC or event) that names one."""
    kwargs = worker_ctx.kwargs
    found = kwargs.get("report_id")
    if found is None:
        payload = kwargs.get("payload")
        if payload is None and worker_ctx.args:
            payload = worker_ctx.args[0]
        if isinstance(payload, dict):
            found = payload.get("report_id")
    return str(found) if found is not None else None


def _expired(late: float):
    """The handler of a worker whose deadline passed: it does nothing (the worker's method is shadowed by
    it)."""

    def handler(*args, **kwargs):
        raise deadline.DeadlinePassed(f"the caller stopped waiting {late:.1f} s ago")

    return handler


def metrics_bind(config: dict) -> tuple[str, int] | None:
    """(host, port) from METRICS_HOST / METRICS_PORT; None when the port is `off` (YAML may make that
    False)."""
    raw = config.get("METRICS_PORT", 0)
    if raw is False or str(raw).strip().lower() in ("off", "false", "no"):
        return None
    return str(config.get("METRICS_HOST") or "127.0.0.1"), int(raw or 0)


class Telemetry(DependencyProvider):
    """Correlation, metrics and health for one service; `probes` add service-specific state gauges."""

    def __init__(self, probes: tuple = ()):
        self.service_probes = tuple(probes)
        self._started: WeakKeyDictionary = WeakKeyDictionary()
        self.port: int | None = None
        self._server = None

    # ---- life cycle

    def setup(self) -> None:
        config = self.container.config
        self.service = service = self.container.service_name
        STATE.ttl_s = float(config.get("METRICS_STATE_TTL_S", STATE.ttl_s))
        database = self._database()
        if database is not None:
            own = [probes.outbox_probe(database.outbox, service)] if database.outbox is not None else []
            own += [probes.inbox_probe(database.inbox, service)] if database.inbox is not None else []
            every = [*own, *self.service_probes]
            # the engine is made by Database.setup, which may run after this one: look it up when read
            STATE.add(service, "database", lambda now: probes.database_source(database.engine, every)(now))
        subscribers = [(s.queue_name, s.service) for s in topology.SUBSCRIPTIONS if s.source == service]
        if subscribers:
            STATE.add(service, "broker", probes.queue_source(config["AMQP_URI"], subscribers))
        self._own_queue = probes.queue_source(config["AMQP_URI"], [(f"rpc-{service}", service)])
        self._bind = metrics_bind(config)

    def start(self) -> None:
        if self._bind is None:
            return
        sock = eventlet.listen(self._bind)
        self.port = sock.getsockname()[1]
        self._server = sock
        log.info(
            "metrics and health on http://%s:%d (/metrics, /health/live, /health/ready)",
            self._bind[0],
            self.port,
        )
        self.container.spawn_managed_thread(lambda: self._serve(sock), identifier="telemetry.http")

    def stop(self) -> None:
        STATE.remove(self.service)
        if self._server is not None:
            self._server.close()
            self._server = None

    def kill(self) -> None:
        self.stop()

    def _database(self):
        from .db import Database

        found = [d for d in self.container.dependencies if isinstance(d, Database)]
        return found[0] if found else None

    # ---- per worker

    def get_dependency(self, worker_ctx) -> str:
        return worker_ctx.context_data.get(correlation.CONTEXT_KEY)

    def worker_setup(self, worker_ctx) -> None:
        rid = correlation.accept(worker_ctx.context_data.get(correlation.CONTEXT_KEY))
        worker_ctx.context_data[correlation.CONTEXT_KEY] = rid
        correlation.request_id.set(rid)
        correlation.report_id.set(_report_of(worker_ctx))
        self._started[worker_ctx] = time.perf_counter()
        late = deadline.passed(worker_ctx.context_data)
        worker_ctx.context_data.pop(deadline.CONTEXT_KEY, None)  # checked here, once: not passed on
        if late is not None and isinstance(worker_ctx.entrypoint, Rpc):
            # the caller gave up while this request waited for a worker: do not start the work
            setattr(worker_ctx.service, worker_ctx.entrypoint.method_name, _expired(late))

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        entrypoint, method = worker_ctx.entrypoint, worker_ctx.entrypoint.method_name
        if isinstance(entrypoint, Rpc):
            outcome = (
                "ok"
                if exc_info is None
                else "expired"
                if isinstance(exc_info[1], deadline.DeadlinePassed)
                else "refused"
                if isinstance(exc_info[1], entrypoint.expected_exceptions)
                else "error"
            )
            metrics.child(metrics.RPC_DURATION, self.service, method).observe(elapsed)
            metrics.child(metrics.RPC_CALLS, self.service, method, outcome).inc()
            level = logging.WARNING if elapsed > SLOW_RPC_S else logging.DEBUG
            if log.isEnabledFor(level):
                log.log(level, "rpc %s %s in %.1f ms", method, outcome, elapsed * 1000)
        elif isinstance(entrypoint, Timer):
            metrics.child(metrics.TIMER_DURATION, self.service, method).observe(elapsed)
        elif not isinstance(entrypoint, EventHandler):  # events are measured by `consumes`
            log.debug("%s done in %.1f ms", method, elapsed * 1000)

    # ---- HTTP

    def _serve(self, sock) -> None:
        try:
            eventlet.wsgi.server(sock, self._app, log_output=False, debug=False)
        except (OSError, ValueError):  # the socket was closed by stop()
            pass

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body = generate_latest(REGISTRY)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        if path == "/health/live":
            return self._json(start_response, 200, {"status": "ok", "service": self.service})
        if path == "/health/ready":
            checks = {"database": self._database_ok(), "broker": self._broker_ok()}
            ok = all(checks.values())
            return self._json(
                start_response,
                200 if ok else 503,
                {"status": "ready" if ok else "not_ready", "service": self.service, **checks},
            )
        return self._json(start_response, 404, {"status": "not_found"})

    @staticmethod
    def _json(start_response, status: int, doc: dict):
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json")])
        return [json.dumps(doc).encode()]

    def _database_ok(self) -> bool:
        database = self._database()
        if database is None:
            return True
        try:
            with eventlet.Timeout(2.0), database.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except BaseException as exc:  # eventlet.Timeout is a BaseException
            if not isinstance(exc, (Exception, eventlet.Timeout)):
                raise
            return False

    def _broker_ok(self) -> bool:
        try:
            with eventlet.Timeout(3.0):
                [_, consumers] = self._own_queue(datetime.now(UTC))
            return consumers.value > 0
        except BaseException as exc:
            if not isinstance(exc, (Exception, eventlet.Timeout)):
                raise
            return False
