"""The gateway's edge guards (pure ASGI, one wrapper around every request): bounded request bodies, slow
bodies cut off, security headers on every answer and `Cache-Control: no-store` on answers that may carry
personal data.

Bodies: each route has a size limit (`limit_for`). A declared `Content-Length` over it is refused before a
byte is read; a chunked body is counted as it arrives and refused as soon as it passes the limit. The refusal
is a 413 naming the limit, sent with `Connection: close` (the rest of the body is never read). While a body is
being received, a client that sends nothing for `BODY_IDLE_TIMEOUT_S`, or has not finished within the route's
total time, gets a 408 and the connection is closed (slow-loris clients cannot hold the process's
connections). The route below sees the end of the stream (`http.disconnect`) and its own answer is dropped.
Any answer given before the body was read to its end (a 403 for a missing key, say) closes the connection, so
the rest is never received."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from libs.contracts.errors import ErrorCode
from libs.platform import correlation

from .problems import problem
from .settings import GatewaySettings

KIB, MIB = 1024, 1024 * 1024
UPLOAD_ROUTES = (re.compile(r"^/v1/reports/[^/]+/media$"), re.compile(r"^/v1/agency/reports/[^/]+/media$"))
OPEN311_POST = re.compile(r"^/open311/v2/(requests|servicerequestupdates)\.[A-Za-z]+$")
GEOMETRY = re.compile(r"^/v1/admin/routing/wards/geometry$")
API_PREFIXES = ("/v1/", "/open311/")
STAFF_PREFIXES = (
    "/v1/operator",
    "/v1/agency",
    "/v1/admin",
    "/v1/auth",
    "/v1/staff",
    "/v1/triage",
    "/v1/notify",
)
CREDENTIAL_HEADERS = (b"authorization", b"x-tracking-token", b"x-follower-token", b"cookie", b"x-csrf-token")
DOC_PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")  # their scripts come from a CDN: framing rules only
API_POLICY = b"default-src 'none'; frame-ancestors 'none'"


@dataclass(frozen=True)
class BodyLimit:
    """What a route may receive: at most `max_bytes`, within `total_s` seconds."""

    max_bytes: int
    total_s: float
    name: str  # how the refusal names it: json, upload, open311, geometry


def limit_for(settings: GatewaySettings, method: str, path: str, content_type: str) -> BodyLimit:
    """The body limit of one request (by method, path and content type)."""
    from .uploads import SLACK, upload_settings

    uploads = upload_settings().max_bytes + SLACK
    if method == "POST" and any(p.match(path) for p in UPLOAD_ROUTES):
        return BodyLimit(uploads, settings.upload_body_timeout_s, "upload")
    if method == "POST" and OPEN311_POST.match(path):
        if content_type.startswith("multipart/"):
            return BodyLimit(
                min(uploads, settings.open311_max_body_bytes), settings.upload_body_timeout_s, "open311"
            )
        return BodyLimit(settings.form_max_body_bytes, settings.body_timeout_s, "form")
    if method == "PUT" and GEOMETRY.match(path):
        return BodyLimit(settings.geometry_max_body_bytes, settings.upload_body_timeout_s, "geometry")
    return BodyLimit(settings.max_body_bytes, settings.body_timeout_s, "json")


def personal(scope: dict) -> bool:
    """Answers that may carry personal data or a secret: never stored by a browser or a shared cache.

    Every API request with a credential (staff token or cookie, tracking or follower token), every staff
    route, and every API write (a submission answers with its tracking token)."""
    path = scope["path"]
    if not path.startswith(API_PREFIXES):
        return False
    if scope["method"] not in ("GET", "HEAD") or path.startswith(STAFF_PREFIXES):
        return True
    return any(k in CREDENTIAL_HEADERS for k, _ in scope["headers"])


def security_headers(scope: dict, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Add the headers every answer carries (the web pages set their own, stricter policy first)."""
    present = {k.lower() for k, _ in headers}
    add = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]
    if b"content-security-policy" not in present:
        policy = b"frame-ancestors 'none'" if scope["path"] in DOC_PAGES else API_POLICY
        add.append((b"content-security-policy", policy))
    if (
        scope.get("scheme") == "https"
    ):  # behind a trusted proxy uvicorn takes the scheme from X-Forwarded-Proto
        add.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    if personal(scope):
        headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"expires")]
        present.discard(b"cache-control")
        add += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
    return headers + [(k, v) for k, v in add if k not in present]


class Refused(Exception):
    """The body broke its limit (413) or came too slowly (408)."""

    def __init__(self, status: int, detail: str, limit: BodyLimit):
        super().__init__(detail)
        self.status, self.detail, self.limit = status, detail, limit


class EdgeGuard:
    """ASGI middleware: body limits and timeouts, security and caching headers."""

    def __init__(self, app, settings: GatewaySettings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        bad = nul_parameter(scope.get("query_string", b""))
        if bad is not None:
            return await self.invalid_query(scope, send, bad)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = limit_for(self.settings, scope["method"], scope["path"], content_type)
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > limit.max_bytes:
            return await self.refuse(scope, send, Refused(413, too_large(limit), limit))
        expects_body = (declared.isdigit() and int(declared) > 0) or b"transfer-encoding" in headers
        idle_s = self.settings.body_idle_timeout_s
        deadline = time.monotonic() + limit.total_s
        received, done, refused, started = 0, False, None, False

        async def guarded_receive():
            nonlocal received, done, refused
            if refused is not None:
                return {"type": "http.disconnect"}
            if done or not expects_body:  # no body, or all of it: waiting for a disconnect (a stream's
                return await receive()  # listener, is_disconnected()) is not a slow body
            try:
                message = await asyncio.wait_for(
                    receive(), min(idle_s, max(deadline - time.monotonic(), 0.001))
                )
            except TimeoutError:
                refused = Refused(
                    408,
                    f"the request body did not arrive in time (idle {idle_s:g} s, total {limit.total_s:g} s)",
                    limit,
                )
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    refused = Refused(413, too_large(limit), limit)
                    return {"type": "http.disconnect"}
                done = not message.get("more_body", False)
            return message

        async def guarded_send(message):
            nonlocal started
            if refused is not None and not started:
                return  # the route's own answer to the cut-off body is dropped: ours goes instead
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = security_headers(scope, list(message.get("headers", ())))
                if (
                    expects_body and not done
                ):  # answered before the body was read (403, 413...): the rest of it
                    message["headers"].append((b"connection", b"close"))  # is not read, the connection closes
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if refused is None or started:
                raise
        if refused is not None and not started:
            await self.refuse(scope, send, refused)

    async def invalid_query(self, scope, send, name: str) -> None:
        """422 (Open311: 400) naming a query parameter that carries a NUL character."""
        why = "không được chứa ký tự NUL / must not contain a NUL character"
        if scope["path"].startswith("/open311/"):
            from .open311.errors import render_errors
            from .open311.params import invalid

            fmt = "json" if scope["path"].endswith(".json") else "xml"
            status, body, media_type = render_errors(invalid(name, why), fmt)
            response = Response(body, status, media_type=media_type)
        else:
            response = problem(
                Request(scope),
                ErrorCode.VALIDATION_FAILED,
                f"invalid query parameter {name}",
                [{"field": f"query.{name}", "message": why, "type": "string_pattern_mismatch"}],
            )
        await send_refusal(scope, send, response)

    async def refuse(self, scope, send, refused: Refused) -> None:
        """The 413/408 answer (problem+json, or the Open311 error body on Open311 paths); the connection
        closes."""
        if scope["path"].startswith("/open311/"):
            from .open311.errors import Open311Error, render_errors

            fmt = "json" if scope["path"].endswith(".json") else "xml"
            status, body, media_type = render_errors(Open311Error(refused.status, refused.detail), fmt)
            response = Response(body, status, media_type=media_type)
        else:
            code = ErrorCode.PAYLOAD_TOO_LARGE if refused.status == 413 else ErrorCode.REQUEST_TIMEOUT
            response = problem(
                Request(scope),
                code,
                refused.detail,
                [
                    {
                        "field": "body",
                        "message": refused.detail,
                        "type": "too_large" if refused.status == 413 else "timeout",
                    }
                ],
            )
        response.headers["Connection"] = "close"
        await send_refusal(scope, send, response)


async def send_refusal(scope, send, response: Response) -> None:
    """Send an answer made at the door (the request's body unread), with the request id and the security
    headers every answer carries; shared with admission control's refusals."""
    rid = correlation.request_id.get()
    if rid:
        response.headers[correlation.HEADER] = rid

    async def send_guarded(message):
        if message["type"] == "http.response.start":
            message["headers"] = security_headers(scope, list(message.get("headers", ())))
        await send(message)

    await response(scope, _no_body, send_guarded)


async def _no_body():
    return {"type": "http.disconnect"}


def nul_parameter(query_string: bytes) -> str | None:
    """The name of the first query parameter holding a NUL character (PostgreSQL cannot store or compare
    it)."""
    if b"%00" not in query_string and b"\x00" not in query_string:
        return None
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "")[:80] or "query"
    return None


def too_large(limit: BodyLimit) -> str:
    return f"the request body is limited to {limit.max_bytes} bytes ({limit.name})"


def install(app, settings: GatewaySettings) -> None:
    """Add the guard (inside the request-id middleware: install before `observability.install`)."""
    app.add_middleware(EdgeGuard, settings=settings)
