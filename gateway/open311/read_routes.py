"""Open311 GeoReport v2 reads: discovery, services, service definitions, requests, tokens,
servicerequestupdates."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from libs.contracts.common import utcnow

from ..calls import PUBLIC_READS
from ..deps import Runtime, runtime
from .dates import to_w3c
from .discovery import build_discovery
from .errors import Open311Error
from .formats import CONTENT_TYPES, render, stream_head, stream_items, stream_tail
from .params import Params, parse_format, parse_id, parse_lang
from .queries import (
    RequestQuery,
    parse_request_query,
    parse_requests_query,
    parse_services_query,
    parse_updates_query,
)
from .requests import build_request, token_response
from .statuses import states_for
from .support import (
    API_PATH,
    Directory,
    Open311Route,
    directory,
    in_area,
    lookup,
    media_link,
    posted_updates,
    public_base,
    scoped_bbox,
    search,
    search_ids,
)
from .views import add_posted_notes, feed_update, report_view

read_router = APIRouter(route_class=Open311Route, tags=["open311"])
CHANGESET = datetime.fromisoformat("2026-03-16T00:00:00+07:00")  # when this Open311 profile last changed
FEED_BATCH = 500  # feed items per RPC to intake (≈ 150 KB messages); a stream is any number of batches
PAGE_SETTLE_S = float(os.environ.get("OPEN311_PAGE_SETTLE_S", "5"))  # see `updates`
log = logging.getLogger("gateway.open311")


def document(kind: str, data, fmt: str) -> Response:
    """A 200 answer in the requested format."""
    body, content_type = render(kind, data, fmt)
    return Response(body, 200, media_type=content_type)


def pairs(request: Request) -> list[tuple[str, str]]:
    """The query string as (name, value) pairs."""
    return request.query_params.multi_items()


@read_router.get("/open311/discovery.{fmt}", summary="Open311 service discovery")
async def discovery(fmt: str, request: Request) -> Response:
    fmt = parse_format(fmt)
    return document("discovery", build_discovery(public_base(request), CHANGESET), fmt)


@read_router.get(
    f"{API_PATH}/services.{{fmt}}", summary="Open311: the service list (lat/long: at that point)"
)
async def services(fmt: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    fmt = parse_format(fmt)
    query = parse_services_query(pairs(request))
    lang = parse_lang(Params(pairs(request)), request.headers.get("accept-language"))
    dir_ = directory(request)
    catalogue = await dir_.services(rt.rpc)
    only = None
    if query.point is not None and not dir_.geography.area(query.jurisdiction).contains(*query.point):
        only = ()  # nothing is served outside the jurisdiction
    return document("services", catalogue.services(lang, only_codes=only), fmt)


@read_router.get(f"{API_PATH}/services/{{service_code}}.{{fmt}}", summary="Open311: a service definition")
async def service_definition(
    service_code: str, fmt: str, request: Request, rt: Runtime = Depends(runtime)
) -> Response:
    fmt = parse_format(fmt)
    parse_services_query(pairs(request))  # jurisdiction: may raise 404
    lang = parse_lang(Params(pairs(request)), request.headers.get("accept-language"))
    catalogue = await directory(request).services(rt.rpc)
    return document("service_definition", catalogue.definition(service_code, lang), fmt)


async def _views(
    request: Request, rt: Runtime, reports: list[dict], lang: str, extensions: bool
) -> list[dict]:
    """Request elements of public reports, with partners' posted notes when extensions are on."""
    dir_ = directory(request)
    names = dir_.names(await dir_.services(rt.rpc), lang)
    link = media_link(request)
    items = [
        build_request(report_view(r, names, link, r.get("restricted", False)), extensions=extensions)
        for r in reports
    ]
    shown = [str(r["id"]) for r in reports if not r.get("restricted")]
    if extensions and shown:
        posted = await posted_updates(rt.rpc, report_ids=shown)
        for item, report in zip(items, reports):
            if not report.get("restricted"):
                add_posted_notes(item, [u for u in posted if u["report_id"] == str(report["id"])])
    return items


async def _find(rt: Runtime, dir_: Directory, query: RequestQuery) -> list[dict]:
    """Public reports matching a GET requests query, newest first."""
    if query.service_request_ids is not None:
        found = await lookup(rt.rpc, list(query.service_request_ids))
        order = {code: n for n, code in enumerate(query.service_request_ids)}
        position = lambda r: order.get(r["code"], order.get(str(r["id"]), 0))  # noqa: E731  ids may be UUIDs
        return sorted((r for r in found if in_area(dir_, query.jurisdiction, r)), key=position)
    catalogue = await dir_.services(rt.rpc)
    codes = None
    if query.service_codes is not None:
        codes = [c for c in query.service_codes if c in catalogue.categories]
        if not codes:
            return []
    bbox = scoped_bbox(dir_, query.jurisdiction, query.bbox)
    if bbox is None:
        return []
    states = states_for(query.statuses)
    result = await search(
        rt.rpc,
        categories=codes,
        statuses=sorted(states) if states is not None else None,
        bbox=list(bbox),
        created_from=_iso(query.requested_window, 0),
        created_to=_iso(query.requested_window, 1),
        updated_from=_iso(query.updated_window, 0),
        updated_to=_iso(query.updated_window, 1),
        q=query.q,
        offset=query.offset,
        limit=query.limit,
        order="created_desc",
    )
    return [r for r in result["items"] if in_area(dir_, query.jurisdiction, r)]


def _iso(window: tuple[datetime, datetime] | None, index: int) -> str | None:
    return window[index].isoformat() if window else None


@read_router.get(f"{API_PATH}/requests.{{fmt}}", summary="Open311: service requests (public reports)")
async def requests(fmt: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    fmt = parse_format(fmt)
    query = parse_requests_query(pairs(request), now=utcnow())
    lang = parse_lang(Params(pairs(request)), request.headers.get("accept-language"))
    reports = await _find(rt, directory(request), query)
    return document("service_requests", await _views(request, rt, reports, lang, query.extensions), fmt)


@read_router.get(
    f"{API_PATH}/requests/{{service_request_id}}.{{fmt}}", summary="Open311: one service request"
)
async def one_request(
    service_request_id: str, fmt: str, request: Request, rt: Runtime = Depends(runtime)
) -> Response:
    fmt = parse_format(fmt)
    query = parse_request_query(service_request_id, pairs(request))
    lang = parse_lang(Params(pairs(request)), request.headers.get("accept-language"))
    dir_ = directory(request)
    found = [
        r
        for r in await lookup(rt.rpc, [query.service_request_id])
        if in_area(dir_, query.jurisdiction, r) and query.service_request_id in (r["code"], str(r["id"]))
    ]
    if not found:
        raise Open311Error.of("REQUEST_NOT_FOUND", service_request_id=query.service_request_id)
    return document("service_requests", await _views(request, rt, found[:1], lang, query.extensions), fmt)


@read_router.get(
    f"{API_PATH}/tokens/{{token}}.{{fmt}}", summary="Open311: the request id behind a batch token"
)
async def token(token: str, fmt: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    fmt = parse_format(fmt)
    parse_services_query(pairs(request))  # jurisdiction: may raise 404
    try:
        token = parse_id(token, "token")
    except Open311Error:
        raise Open311Error.of("TOKEN_NOT_FOUND", token=token[:64]) from None
    record = await rt.rpc.call(
        PUBLIC_READS, "resolve_open311_token", payload={"token": token}
    )  # may raise 404
    return document("service_requests", token_response(token, record["code"]), fmt)


@read_router.get(
    f"{API_PATH}/servicerequestupdates.{{fmt}}",
    summary="Open311 (mySociety): updates on requests within a window",
)
async def updates(fmt: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """Every update in the window, streamed batch by batch (no page parameters), or one stable page of it."""
    fmt = parse_format(fmt)
    now = utcnow()
    query = parse_updates_query(pairs(request), now=now)
    area = directory(request).geography.area(query.jurisdiction)
    start, end = query.window
    # The snapshot: updates recorded up to `as_of`. A page leaves out the last few seconds, so that an update
    # still being committed cannot land on a page already served (later ones sort after every served page).
    as_of = min(end, now - timedelta(seconds=PAGE_SETTLE_S) if query.paged else now)
    if query.paged:
        as_of = as_of.replace(microsecond=0)  # whole seconds, as the next page's pinned end_date says it
    feed = Feed(
        rt.rpc,
        area,
        {
            "updated_from": start.isoformat(),
            "updated_to": end.isoformat(),
            "recorded_to": as_of.isoformat(),
            "bbox": list(area.bbox),
        },
    )
    if query.paged:
        items, more = await feed.page(query.offset, query.page_size)
        headers = {"Link": next_page_link(request, query, as_of)} if more else None
        body, content_type = render("service_request_updates", items, fmt)
        return Response(body, 200, media_type=content_type, headers=headers)
    first = await feed.batch()  # before the first byte: a service that is down is still a clean 503/504
    return StreamingResponse(feed.stream(first, fmt), 200, media_type=CONTENT_TYPES[fmt])


def next_page_link(request: Request, query, as_of: datetime) -> str:
    """`<…?page=N+1&start_date&end_date>; rel="next"`: the window pinned to this page's snapshot."""
    params = dict(request.query_params) | {
        "page": str(query.page + 1),
        "page_size": str(query.page_size),
        "start_date": to_w3c(query.window[0]),
        "end_date": to_w3c(as_of),
    }
    return f'<{public_base(request)}{request.url.path}?{urlencode(params)}>; rel="next"'


class Feed:
    """intake's servicerequestupdates feed read in batches over RPC (keyset: each batch continues the
    last)."""

    def __init__(self, rpc, area, filters: dict) -> None:
        self.rpc, self.area, self.filters = rpc, area, filters
        self.cursor: dict | None = None
        self.done = False

    async def batch(self, offset: int = 0, limit: int = FEED_BATCH) -> list[dict]:
        """The next batch as request_update elements (only those inside the jurisdiction's outline)."""
        payload = {**self.filters, "offset": offset, "limit": limit}
        if self.cursor is not None:
            payload["after"] = self.cursor
        result = await self.rpc.call(PUBLIC_READS, "open311_feed", payload=payload)
        self.cursor = result["next"]
        self.done = self.cursor is None
        return [feed_update(item) for item in result["items"] if self.area.contains(item["lat"], item["lon"])]

    async def page(self, offset: int, size: int) -> tuple[list[dict], bool]:
        """Positions [offset, offset + size) of the feed, and whether more may follow."""
        items = await self.batch(offset, min(size, FEED_BATCH))
        taken = min(size, FEED_BATCH)
        while not self.done and taken < size:
            items += await self.batch(0, min(size - taken, FEED_BATCH))
            taken += min(size - taken, FEED_BATCH)
        return items, not self.done

    async def stream(self, first: list[dict], fmt: str) -> AsyncIterator[bytes]:
        """The whole document, one batch at a time. A failure after the first byte aborts the answer (the
        client sees a cut connection, never a well-formed but incomplete list)."""
        kind = "service_request_updates"
        yield stream_head(kind, fmt)
        written, items = False, first
        try:
            while True:
                if items:
                    yield stream_items(kind, items, fmt, first=not written)
                    written = True
                if self.done:
                    break
                items = await self.batch()
        except Exception:
            log.exception("servicerequestupdates stream aborted")
            raise
        yield stream_tail(kind, fmt)


@read_router.get(
    f"{API_PATH}/media/{{service_request_id}}/{{media_id}}",
    summary="Open311: a request's photo",
    response_class=RedirectResponse,
)
async def media(
    service_request_id: str, media_id: str, request: Request, rt: Runtime = Depends(runtime)
) -> Response:
    try:
        code, media_id = parse_id(service_request_id, "id"), parse_id(media_id, "media")
    except Open311Error:
        raise Open311Error.of("REQUEST_NOT_FOUND", service_request_id=service_request_id[:64]) from None
    found = [
        r for r in await search_ids(rt.rpc, [code]) if media_id in {str(p) for p in r.get("photos") or ()}
    ]
    if not found:
        raise Open311Error.of("REQUEST_NOT_FOUND", service_request_id=code)
    files = await rt.rpc.call("media", "list_media", report_id=str(found[0]["id"]))
    url = next((f["url"] for f in files if str(f["id"]) == media_id and f.get("url")), None)
    if url is None:
        raise Open311Error.of("REQUEST_NOT_FOUND", service_request_id=code)
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
