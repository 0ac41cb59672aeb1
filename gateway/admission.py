"""Admission control at the gateway's door (pure ASGI, before any route runs): one client reading fast must
not silence every citizen.

Every API request falls in a route class: `read` (GET/HEAD under `/v1/` outside the staff prefixes, and every
Open311 GET), `write` (any other method there), `staff` (the staff prefixes); `/health`, `/ready`, `/metrics`,
the web pages and their files are exempt. Two checks, cheapest first:

1. Per client, a token bucket (`throttle.TokenBucket`): public reads per client IP (`ADMISSION_READ_*`) and,
  when
   an Open311 `api_key` is named, per key as well (`ADMISSION_KEY_READ_*`: a key does not lift its
   IP's limit, an
   invented key buys nothing); writes per client IP (`ADMISSION_WRITE_*`). Over it: 429 with `Retry-After`.
   The client IP is the one uvicorn resolved (`X-Forwarded-For` only from `TRUSTED_PROXIES`).
   The refusal is held back `ADMISSION_REFUSAL_DELAY_S` (1 s; a sleeping task costs no CPU) before it is sent,
   for at most `ADMISSION_MAX_DELAYED` refusals at once (then at once): a client that ignores `Retry-After`
   and
   asks again as soon as it is answered gets one answer a second per connection instead of thousands, so its
   refusals do not take the
   process's CPU from everybody else (a single event loop serves all clients in turn).
2. Per process, a bound on the requests of each class in progress (`ADMISSION_MAX_IN_FLIGHT_*`): beyond it 503
   with `Retry-After` at once, never a queue. Held streams and long-polls (`.../stream`, `/v1/staff/events`,
   `?wait=`) are not counted: they have their own caps (`NOTIFY_STREAMS_PER_*`).

Refusals are problem+json (`RATE_LIMITED`, `GATEWAY_BUSY`), or Open311 error bodies on Open311 paths. A limit
of 0 is no limit. Each gateway replica counts on its own."""

from __future__ import annotations

import asyncio
import hashlib
import math
from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge
from starlette.requests import Request
from starlette.responses import Response

from libs.contracts.errors import ErrorCode
from libs.platform.networks import contains, parse_networks

from .edge import API_PREFIXES, STAFF_PREFIXES, send_refusal
from .problems import problem
from .settings import GatewaySettings
from .throttle import TokenBucket

CLASSES = ("read", "write", "staff")
HELD = ("/stream", "/v1/staff/events")  # long-lived answers: not counted in flight (their own caps apply)
BUSY_RETRY_S = 1
SMALL_BODY = 64 * 1024  # a refused request with a larger (or chunked) body is answered with Connection: close
REFUSED = Counter(
    "ht_gateway_admission_refused_total",
    "Requests the gateway refused at its door, by route "
    "class and reason (rate_limited: a client over its bucket; busy: the class's in-flight bound)",
    ["route_class", "reason"],
)
IN_FLIGHT = Gauge(
    "ht_gateway_in_flight",
    "API requests in progress in this gateway process, by route class",
    ["route_class"],
)


def route_class(method: str, path: str) -> str | None:
    """`read`, `write`, `staff`, or None (exempt: health, readiness, metrics, web pages)."""
    if not path.startswith(API_PREFIXES):
        return None
    if path.startswith(STAFF_PREFIXES):
        return "staff"
    return "read" if method in ("GET", "HEAD") else "write"


def api_key_of(scope: dict) -> str | None:
    """The Open311 `api_key` a read names in its query string (a digest: keys are secrets, never held)."""
    query = scope.get("query_string", b"")
    if not scope["path"].startswith("/open311/") or b"api_key=" not in query:
        return None
    from urllib.parse import parse_qsl

    key = next((v for k, v in parse_qsl(query.decode("latin-1")) if k == "api_key" and v), None)
    return hashlib.sha256(key.encode()).hexdigest()[:32] if key else None


def bucket(burst: int, per_minute: float) -> TokenBucket | None:
    return TokenBucket(burst, per_minute) if burst > 0 and per_minute > 0 else None


@dataclass
class Door:
    """The limits of one gateway process and what it holds now."""

    reads: TokenBucket | None
    key_reads: TokenBucket | None
    writes: TokenBucket | None
    bounds: dict[str, int]
    in_flight: dict[str, int]
    delay_s: float = 0.0
    max_delayed: int = 0
    delayed: int = 0
    exempt: tuple = field(default_factory=tuple)  # client networks without buckets (ADMISSION_EXEMPT_IPS)

    @classmethod
    def from_settings(cls, s: GatewaySettings) -> Door:
        return cls(
            bucket(s.read_burst, s.read_per_minute),
            bucket(s.key_read_burst, s.key_read_per_minute),
            bucket(s.write_burst, s.write_per_minute),
            {"read": s.max_in_flight_reads, "write": s.max_in_flight_writes, "staff": s.max_in_flight_staff},
            dict.fromkeys(CLASSES, 0),
            s.refusal_delay_s,
            s.max_delayed,
            exempt=parse_networks(s.admission_exempt, "ADMISSION_EXEMPT_IPS"),
        )

    def is_exempt(self, ip: str) -> bool:
        return contains(self.exempt, ip)

    def wait_for(self, kind: str, scope: dict) -> float:
        """0 when the client may go on (tokens taken), else the seconds until it may."""
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        if self.is_exempt(ip):
            return 0.0
        if kind == "read":
            wait = self.reads.take(ip) if self.reads else 0.0
            key = api_key_of(scope) if wait == 0 and self.key_reads else None
            return self.key_reads.take(key) if key else wait
        if kind == "write" and self.writes:
            return self.writes.take(ip)
        return 0.0

    def full(self, kind: str) -> bool:
        bound = self.bounds[kind]
        return 0 < bound <= self.in_flight[kind]

    def state(self) -> dict:
        """What `/ready` shows: requests in progress by class, the bounds, and the classes at their bound."""
        return {
            "in_flight": dict(self.in_flight),
            "max_in_flight": dict(self.bounds),
            "saturated": [k for k in CLASSES if self.full(k)],
            "refusals_held": self.delayed,
        }

    async def hold_back(self) -> None:
        """Wait `delay_s` before a 429 is sent, unless `max_delayed` refusals are already waiting."""
        if self.delay_s <= 0 or self.delayed >= self.max_delayed:
            return
        self.delayed += 1
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.delayed -= 1


def held(scope: dict) -> bool:
    return scope["path"].endswith(HELD) or b"wait=" in scope.get("query_string", b"")


class Admission:
    """ASGI middleware: the per-client buckets (`buckets`), then the per-class in-flight bound (`bounds`).

    Installed as two layers with the read cache between them: a cached answer costs its client a token (a
    flood of cached reads is still a flood) but no in-flight slot (a hit holds no service)."""

    def __init__(self, app, door: Door, checks: tuple[str, ...] = ("buckets", "bounds")):
        self.app, self.door = app, door
        self.buckets, self.bounds = "buckets" in checks, "bounds" in checks

    async def __call__(self, scope, receive, send):
        kind = route_class(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if kind is None:
            return await self.app(scope, receive, send)
        wait = self.door.wait_for(kind, scope) if self.buckets else 0.0
        if wait > 0:
            REFUSED.labels(kind, "rate_limited").inc()
            await self.door.hold_back()
            return await refuse(scope, send, 429, max(1, math.ceil(wait)))
        if not self.bounds or held(scope):
            return await self.app(scope, receive, send)
        if self.door.full(kind):
            REFUSED.labels(kind, "busy").inc()
            return await refuse(scope, send, 503, BUSY_RETRY_S)
        self.door.in_flight[kind] += 1
        IN_FLIGHT.labels(kind).inc()
        try:
            await self.app(scope, receive, send)
        finally:
            self.door.in_flight[kind] -= 1
            IN_FLIGHT.labels(kind).dec()


async def refuse(scope, send, status: int, seconds: int) -> None:
    """429 (over the client's bucket) or 503 (the class is full), with `Retry-After`; the body is not read."""
    if status == 429:
        vi, en = "Gửi quá nhiều yêu cầu", "too many requests"
    else:
        vi, en = "Hệ thống đang quá tải", "too many requests in progress"
    detail = f"{vi}, thử lại sau {seconds} giây / {en}; retry after {seconds} s"
    if scope["path"].startswith("/open311/"):
        from .open311.errors import Open311Error, render_errors

        fmt = "json" if scope["path"].endswith(".json") else "xml"
        _, body, media_type = render_errors(Open311Error(status, detail), fmt)
        response = Response(body, status, media_type=media_type)
    else:
        code = ErrorCode.RATE_LIMITED if status == 429 else ErrorCode.GATEWAY_BUSY
        response = problem(
            Request(scope),
            code,
            detail,
            [
                {
                    "field": "Retry-After",
                    "message": str(seconds),
                    "type": "rate_limited" if status == 429 else "busy",
                }
            ],
        )
    response.headers["Retry-After"] = str(seconds)
    if not small_body(scope):
        response.headers["Connection"] = "close"  # a large or chunked body is not read: the connection ends
    await send_refusal(scope, send, response)


def small_body(scope: dict) -> bool:
    """No body, or a declared one small enough for the server to skip on a kept-alive connection."""
    headers = dict(scope["headers"])
    if b"transfer-encoding" in headers:
        return False
    declared = headers.get(b"content-length", b"0").strip()
    return declared.isdigit() and int(declared) <= SMALL_BODY


def install(app, settings: GatewaySettings) -> Door:
    """Add the door's in-flight bounds (outside the edge guard: install after `edge`); its state is
    `app.state.door` (shown by `/ready`). The per-client buckets are a layer of their own, `install_buckets`,
    added after the read cache so that they are outside it."""
    door = Door.from_settings(settings)
    app.state.door = door
    app.add_middleware(Admission, door=door, checks=("bounds",))
    return door


def install_buckets(app) -> None:
    """Add the per-client buckets of `app.state.door` (inside the request id, outside the read cache)."""
    app.add_middleware(Admission, door=app.state.door, checks=("buckets",))
