"""Machinery shared by the Open311 routes: spec error bodies for every failure, the cached service catalogue
and directory names, the served geography, and the RPC calls behind the endpoints (no `router` here)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from libs import refdata
from libs.contracts.errors import ErrorCode

from ..calls import PUBLIC_READS
from ..deps import CategoryCache
from ..rpc import RemoteError, RpcTimeout, RpcUnavailable
from .errors import Open311Error, render_errors
from .formats import JSON, XML
from .geo import Geography, intersect_bbox
from .jurisdictions import Jurisdiction
from .services import ServiceCatalogue
from .views import Names

log = logging.getLogger("gateway.open311")
API_PATH = "/open311/v2"
CATALOGUE_TTL_S = float(os.environ.get("OPEN311_CATALOGUE_TTL_S", "60"))
SEARCH_PAGE = 1000  # intake's maximum page size
MAX_ID_BATCH = 100


class Open311Failure(Open311Error):
    """An Open311 error with extra HTTP headers (Retry-After)."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, description)
        self.headers = headers or {}


def format_of(request: Request) -> str:
    """The format of the URL suffix when it is a known one, else XML (the spec's required format)."""
    fmt = str(request.path_params.get("fmt") or "").lower()
    if not fmt:
        fmt = (
            request.url.path.rsplit(".", 1)[-1].lower() if "." in request.url.path.rsplit("/", 1)[-1] else ""
        )
    return fmt if fmt in (XML, JSON) else XML


def error_response(error: Open311Error, fmt: str) -> Response:
    """The spec's error body (`<errors><error>` or `[{"code", "description"}]`) with the error's status."""
    status, body, content_type = render_errors(error, fmt)
    return Response(body, status, media_type=content_type, headers=getattr(error, "headers", None))


def from_remote(exc: RemoteError) -> Open311Error:
    """A service's error as the Open311 error a client expects (403/404/400; 429, 5xx otherwise)."""
    code, errors = exc.code, exc.errors
    if code == ErrorCode.API_KEY_INVALID:
        return Open311Error.of("API_KEY_INVALID")
    if code == ErrorCode.RATE_LIMITED:
        retry = next((e.get("message") for e in errors if e.get("type") == "retry_after_s"), "60")
        return Open311Failure(
            429,
            f"Gửi quá nhiều, thử lại sau {retry} giây / rate limit reached, retry after {retry} seconds",
            {"Retry-After": str(retry)},
        )
    if code == ErrorCode.OPEN311_UPDATE_EXISTS:
        return Open311Error(400, "Cập nhật đã tồn tại / update already exists", "UPDATE_EXISTS")
    if code in (ErrorCode.REPORT_NOT_FOUND, ErrorCode.NOT_FOUND):
        return Open311Error(404, "Không có phản ánh / request not found", "REQUEST_NOT_FOUND")
    if code == ErrorCode.OPEN311_TOKEN_NOT_FOUND:
        return Open311Error(404, "Không có token / token not found", "TOKEN_NOT_FOUND")
    if code == ErrorCode.UNKNOWN_CATEGORY:
        return Open311Error(404, "Không có dịch vụ / service_code not found", "SERVICE_NOT_FOUND")
    if code in (ErrorCode.VALIDATION_FAILED, ErrorCode.IDEMPOTENCY_KEY_REUSED, ErrorCode.TOO_MANY_MEDIA):
        fields = ", ".join(sorted({str(e.get("field")) for e in errors})) or "request"
        return Open311Error(400, f"Tham số không hợp lệ: {fields} / invalid parameter: {fields}", code.value)
    log.error("unexpected service error %s %s", exc.exc_type, code)
    return Open311Error(500, "Lỗi hệ thống / internal error", "INTERNAL")


class Open311Route(APIRoute):
    """A route whose every failure is answered with the spec's error body in the requested format."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as error:
                return error_response(error, format_of(request))
            except RemoteError as exc:
                return error_response(from_remote(exc), format_of(request))
            except RpcTimeout:
                return error_response(
                    Open311Failure(
                        504, "Hệ thống đang bận / a service did not answer in time", {"Retry-After": "5"}
                    ),
                    format_of(request),
                )
            except RpcUnavailable:
                return error_response(
                    Open311Failure(
                        503, "Hệ thống tạm gián đoạn / a service is unavailable", {"Retry-After": "10"}
                    ),
                    format_of(request),
                )

        return answer


def _seed(name: str) -> list[dict[str, Any]]:
    """Rows of a seed file of the routing directory (names and examples the list RPC does not return)."""
    try:
        data = refdata.load().read(name.removesuffix(".json"))
    except (OSError, ValueError, refdata.RefDataError):
        log.warning("seed file %s not readable: names fall back to codes", name)
        return []
    return list(data[name.split(".")[0]] if isinstance(data, dict) else data)


@dataclass
class Directory:
    """The service catalogue (live categories from routing, refreshed after a TTL) and display names."""

    geography: Geography
    agencies: dict[str, tuple[str, str | None]]  # code -> (vi, en)
    examples: dict[str, list[str]]
    categories: CategoryCache = field(default_factory=lambda: CategoryCache(CATALOGUE_TTL_S, timeout_s=5.0))
    catalogue: ServiceCatalogue | None = None
    rows: dict[str, dict] | None = None  # what the catalogue was built from

    async def services(self, rpc) -> ServiceCatalogue:
        """The catalogue; stale data is kept while routing is down; may raise RpcUnavailable/RpcTimeout."""
        rows = await self.categories.fetch(rpc)
        if self.catalogue is None or rows is not self.rows:
            categories = [{**row, "examples": self.examples.get(code, [])} for code, row in rows.items()]
            self.catalogue, self.rows = ServiceCatalogue(categories), rows
        return self.catalogue

    def names(self, catalogue: ServiceCatalogue, lang: str) -> Names:
        """Category, agency and ward names in a language (Vietnamese unless `lang` is 'en')."""
        pick = 1 if lang == "en" else 0
        categories = {code: (c["name_vi"], c["name_en"])[pick] for code, c in catalogue.categories.items()}
        agencies = {code: (names[pick] or names[0]) for code, names in self.agencies.items()}
        return Names(categories, agencies, self.geography.ward_names)


def directory(request: Request) -> Directory:
    """The process's Directory, built on first use (outlines and ward cells take ~0.1 s)."""
    state = request.app.state
    if getattr(state, "open311", None) is None:
        agencies = {a["code"]: (a["name_vi"], a.get("name_en")) for a in _seed("agencies.json")}
        examples = {c["code"]: list(c.get("examples") or ()) for c in _seed("categories.json")}
        state.open311 = Directory(Geography.load(), agencies, examples)
    return state.open311


def public_base(request: Request) -> str:
    """The public base URL (OPEN311_PUBLIC_URL behind a proxy, else the request's own)."""
    return (os.environ.get("OPEN311_PUBLIC_URL") or str(request.base_url)).rstrip("/")


def media_link(request: Request):
    """A function building the stable media URL `{base}/open311/v2/media/{id}/{media}` served by the
    gateway."""
    base = public_base(request) + API_PATH

    def link(service_request_id: str, media_id: str) -> str:
        return f"{base}/media/{service_request_id}/{media_id}"

    return link


async def search(rpc, service: str = PUBLIC_READS, **filters: Any) -> dict[str, Any]:
    """One page of intake's report search (libs.contracts.search.SearchReports → ReportPage); a write asks
    `service="intake"`, never queueing behind public reads."""
    return await rpc.call(
        service, "search_reports", payload={k: v for k, v in filters.items() if v is not None}
    )


async def search_ids(
    rpc, ids: list[str], public_only: bool = True, service: str = PUBLIC_READS
) -> list[dict[str, Any]]:
    """The reports with these codes (ids override every other filter), in batches of 100."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), MAX_ID_BATCH):
        batch = ids[start : start + MAX_ID_BATCH]
        result = await search(rpc, service, ids=batch, public_only=public_only, limit=len(batch))
        found += result["items"]
    return found


async def lookup(rpc, ids: list[str]) -> list[dict[str, Any]]:
    """Reports by explicit code: verified ones in full, the others marked `restricted` (see
    views.report_view)."""
    public = await search_ids(rpc, ids)
    found = {r["code"] for r in public}
    rest = [i for i in ids if i not in found]
    hidden = await search_ids(rpc, rest, public_only=False) if rest else []
    return [{**r, "restricted": False} for r in public] + [
        {**r, "restricted": True} for r in hidden if r["code"] not in found
    ]


def in_area(directory_: Directory, jurisdiction: Jurisdiction, report: dict[str, Any]) -> bool:
    """Whether a report's point lies in the jurisdiction (the endpoint's scope, even with explicit ids)."""
    location = report.get("location") or {}
    lat, lon = location.get("lat"), location.get("lon")
    return lat is not None and lon is not None and directory_.geography.area(jurisdiction).contains(lat, lon)


def scoped_bbox(directory_: Directory, jurisdiction: Jurisdiction, bbox):
    """The client's bbox cut to the jurisdiction's; None when they do not overlap."""
    return intersect_bbox(bbox, directory_.geography.area(jurisdiction).bbox)


async def posted_updates(
    rpc, report_ids: list[str] | None = None, start=None, end=None
) -> list[dict[str, Any]]:
    """Updates partners posted (servicerequestupdates POST), oldest first."""
    payload: dict[str, Any] = {"report_ids": report_ids, "limit": 10_000}
    if start is not None:
        payload["updated_from"] = start.isoformat()
    if end is not None:
        payload["updated_to"] = end.isoformat()
    result = await rpc.call(
        PUBLIC_READS, "list_open311_updates", payload={k: v for k, v in payload.items() if v is not None}
    )
    return result["items"]
