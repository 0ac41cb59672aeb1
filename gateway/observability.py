"""The gateway's side of observability: the request id, HTTP and RPC-client metrics, queue gauges, `/metrics`.

`RequestContext` (pure ASGI, no per-request task) takes `X-Request-Id` from the request or makes one, binds
it for log lines and RPC headers, returns it on every answer, and counts each request by route template
(`/v1/reports/{report_id}`, never the raw path) and status. An unmatched path counts as `<unmatched>`.
"""

from __future__ import annotations

import time

from prometheus_client import REGISTRY, Counter, Histogram

from libs.platform import correlation
from libs.platform.metrics import LATENCY_BUCKETS, child
from libs.platform.probes import Sample, families

HTTP_REQUESTS = Counter(
    "ht_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "ht_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
RPC_CALLS = Counter(
    "ht_gateway_rpc_calls_total",
    "RPCs the gateway made, by outcome: ok, remote_error, timeout, unavailable",
    ["service", "method", "outcome"],
)
RPC_DURATION = Histogram(
    "ht_gateway_rpc_duration_seconds",
    "Time from sending an RPC to its answer",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
UNMATCHED = "<unmatched>"
RAW_HEADER = correlation.HEADER.lower().encode()


class RequestContext:
    """ASGI middleware: request id in and out, and the HTTP metrics."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == RAW_HEADER), None)
        rid = correlation.accept(given)
        correlation.request_id.set(rid)  # each request runs in its own task: no reset needed
        correlation.report_id.set(None)
        scope.setdefault("state", {})["request_id"] = rid
        status, started = 500, time.perf_counter()

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(k.lower() == RAW_HEADER for k, _ in headers):
                    headers.append((RAW_HEADER, rid.encode("latin-1")))
                    message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            child(HTTP_DURATION, method, route).observe(time.perf_counter() - started)
            child(HTTP_REQUESTS, method, route, str(status)).inc()


class QueueGauges:
    """`ht_queue_messages/consumers` of the services' RPC queues, refreshed by `/metrics` (async, at most
    every `ttl_s`): a service whose queue has no consumer is down even when nothing calls it."""

    def __init__(self, ttl_s: float = 5.0):
        self.ttl_s, self.samples, self._at = ttl_s, [], float("-inf")

    async def refresh(self, rpc, services) -> None:
        if time.monotonic() - self._at < self.ttl_s:
            return
        self._at = time.monotonic()
        found = await rpc.queue_state([f"rpc-{s}" for s in services])
        self.samples = [
            Sample(name, {"queue": f"rpc-{s}", "consumer": s}, value)
            for s in services
            for name, value in zip(("ht_queue_messages", "ht_queue_consumers"), found.get(f"rpc-{s}", (0, 0)))
        ]

    def describe(self):
        return []

    def collect(self):
        yield from families(self.samples)


QUEUES = QueueGauges()
REGISTRY.register(QUEUES)


def install(app) -> None:
    """Add the request-id and metrics middleware to the app."""
    app.add_middleware(RequestContext)
