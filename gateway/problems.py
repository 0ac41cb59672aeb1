"""Errors as RFC 9457 `application/problem+json`, naming the field at fault; Vietnamese first."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.contracts.errors import ERRORS, ErrorCode, FieldError, Problem
from libs.platform import correlation

from .rpc import RemoteError, RpcTimeout, RpcUnavailable

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
LOCATION_PREFIXES = {"body"}
OPEN311_PREFIX = "/open311/"
OPEN311_HTTP_ERRORS = {
    404: "Không có tài nguyên này / no such Open311 resource",
    405: "Phương thức không được hỗ trợ / method not allowed",
}


class ApiError(Exception):
    """Raised by route handlers for a known error code."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(code, detail)
        self.code, self.detail, self.errors, self.headers = code, detail, errors or [], headers


def english(request: Request) -> bool:
    """True when the client prefers English over Vietnamese."""
    return request.headers.get("accept-language", "vi").lower().startswith("en")


def problem(
    request: Request,
    code: ErrorCode,
    detail: str | None = None,
    errors: list[dict] | None = None,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the response for one error code."""
    spec = ERRORS[code]
    body = Problem(
        type=f"/problems/{code.value.lower().replace('_', '-')}",
        title=spec.title_en if english(request) else spec.title_vi,
        status=status or spec.status,
        code=code,
        detail=detail,
        errors=[FieldError(**e) for e in errors or []],
        request_id=correlation.request_id.get(),
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=body.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def retry_after(code: ErrorCode, errors: list[dict]) -> tuple[list[dict], dict[str, str] | None]:
    """A service names the seconds to wait as a `Retry-After` field error: it becomes the header."""
    wait = next((e["message"] for e in errors if e.get("field") == "Retry-After"), None)
    if wait is None and code == ErrorCode.RATE_LIMITED:
        wait = "60"
    return [e for e in errors if e.get("field") != "Retry-After"], (
        {"Retry-After": str(wait)} if wait else None
    )


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in LOCATION_PREFIXES:
        parts = parts[1:]
    return ".".join(parts) or "body"


def open311_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """An HTTP error raised by routing (405 for TRACE on an Open311 path) in the Open311 error format."""
    from .open311.support import Open311Failure, error_response, format_of  # the routes import this module

    description = OPEN311_HTTP_ERRORS.get(exc.status_code, "Yêu cầu không hợp lệ / bad request")
    return error_response(
        Open311Failure(exc.status_code, description, getattr(exc, "headers", None)), format_of(request)
    )


# Errors a service raises when its database or broker is unreachable for a moment (psycopg2/SQLAlchemy
# connection errors, kombu/amqp connection errors): the request may be retried (the fault suite,
# docs/reliability.md, Faults).
TRANSIENT_REMOTE = frozenset(
    {
        "OperationalError",
        "InterfaceError",
        "DisconnectionError",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "RecoverableConnectionError",
    }
)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into problem details."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = [{"field": _field(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
        return problem(request, ErrorCode.VALIDATION_FAILED, "the request has invalid fields", errors)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return problem(request, exc.code, exc.detail, exc.errors, headers=exc.headers)

    @app.exception_handler(RemoteError)
    async def remote(request: Request, exc: RemoteError):
        if exc.code is not None:
            errors, headers = retry_after(exc.code, exc.errors)
            return problem(request, exc.code, exc.detail, errors, headers=headers)
        if exc.exc_type in TRANSIENT_REMOTE:
            # the service's database or broker is away for a moment (a restart, a fail-over): retryable, not a
            # bug
            log.warning("service's backend unavailable %s: %s", exc.exc_type, exc.value)
            return problem(
                request,
                ErrorCode.UPSTREAM_UNAVAILABLE,
                "a service's database or broker is unavailable; retry shortly",
                headers={"Retry-After": "5"},
            )
        log.error("unexpected remote error %s: %s", exc.exc_type, exc.value)
        return problem(request, ErrorCode.INTERNAL_ERROR, "a service failed; the error was logged")

    @app.exception_handler(RpcTimeout)
    async def timeout(request: Request, exc: RpcTimeout):
        return problem(request, ErrorCode.UPSTREAM_TIMEOUT, str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(RpcUnavailable)
    async def unavailable(request: Request, exc: RpcUnavailable):
        return problem(request, ErrorCode.UPSTREAM_UNAVAILABLE, str(exc), headers={"Retry-After": "10"})

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):
        # served by Starlette's outermost middleware: the request-id middleware is not around this answer
        log.error("unhandled error: %r", exc, exc_info=exc)
        rid = correlation.request_id.get() or correlation.new_request_id()
        return problem(
            request,
            ErrorCode.INTERNAL_ERROR,
            "the gateway failed; the error was logged",
            headers={correlation.HEADER: rid},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith(OPEN311_PREFIX):  # e.g. a 405: the spec's error body, not problem+json
            return open311_http_error(request, exc)
        vi_en = (
            ("Không tìm thấy", "Not found")
            if exc.status_code == 404
            else ("Yêu cầu không hợp lệ", "Bad request")
        )
        body = {
            "type": "about:blank",
            "title": vi_en[1] if english(request) else vi_en[0],
            "status": exc.status_code,
            "detail": str(exc.detail),
            "request_id": correlation.request_id.get(),
        }
        return JSONResponse(
            body, status_code=exc.status_code, media_type=MEDIA_TYPE, headers=getattr(exc, "headers", None)
        )
