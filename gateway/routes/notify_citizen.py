"""The citizen's side of notifications: the in-app inbox of a report's reporter or of a "me too" follower
(list, long-poll, server-sent events), and unsubscribing from a case (with the tracking token, the follower
token, or an e-mail's unsubscribe link).

The reporter opens the inbox with the report's tracking token, checked through intake (`get_report`); a
follower with the private follower token the me-too answer gave them, resolved by intake (`follower_ref`) to
their opaque recipient_ref. Both readers share one long-poll and one stream; a wrong or missing token is a 404
like an unknown report."""

from __future__ import annotations

import asyncio
import html
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from libs.contracts.common import MAX_CURSOR
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import ContactErased
from libs.contracts.notify import InboxMessageView, UnsubscribeResult

from ..calls import PROBLEMS, call_intake, client_info
from ..deps import Runtime, runtime
from ..problems import ApiError, english

router = APIRouter(tags=["notifications"])
POLL_S = 1.0  # how often a waiting client's inbox is looked at
MAX_WAIT_S = 30  # long-poll: the longest a request is held
STREAM_S = 300  # server-sent events: a stream ends after this (clients reconnect with Last-Event-ID)
HEARTBEAT_S = 15
TokenHeader = Annotated[
    str | None,
    Header(alias="X-Tracking-Token", max_length=200, description="The report's private tracking token"),
]
FollowerHeader = Annotated[
    str | None,
    Header(
        alias="X-Follower-Token",
        max_length=200,
        description="The follower's private token (from the me-too answer)",
    ),
]
TokenQuery = Annotated[
    str | None,
    Query(
        alias="token",
        max_length=200,
        deprecated=True,
        description="Deprecated: send the token header (URLs end up in logs and "
        "histories); kept for clients built on the documented form",
    ),
]
After = Annotated[
    int, Query(ge=0, le=MAX_CURSOR, description="Cursor: the `id` of the newest message already seen")
]
Wait = Annotated[int, Query(ge=0, le=MAX_WAIT_S, description="seconds to wait")]
Limit = Annotated[int, Query(ge=1, le=200)]
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)]
Inbox = dict  # the `list_inbox` payload naming one reader's inbox: report_id (+ recipient_ref for a follower)


def _not_found(report_id: UUID) -> ApiError:
    return ApiError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}")


async def reporter_inbox(
    report_id: UUID,
    request: Request,
    tracking_token: TokenHeader = None,
    token: TokenQuery = None,
    rt: Runtime = Depends(runtime),
) -> Inbox:
    """Check the tracking token through intake; a wrong or missing token is a 404 like an unknown report
    (wrong ones are counted per IP by intake: 429 after too many)."""
    token = tracking_token or token
    if not token:
        raise _not_found(report_id)
    view = await call_intake(
        rt,
        "get_report",
        payload={"report_id": str(report_id), "tracking_token": token, "client": client_info(request)},
    )
    if view.get("own") is not True:  # intake says whether the token matched
        raise _not_found(report_id)
    return {"report_id": str(report_id), "reader": f"reporter:{report_id}"}


def follower_access(
    report_id: UUID, request: Request, follower_token: FollowerHeader = None, token: TokenQuery = None
) -> dict:
    """The payload of intake's follower RPCs; a missing or malformed token is the same 404."""
    token = follower_token or token
    if not token or len(token) < 8:
        raise _not_found(report_id)
    return {"report_id": str(report_id), "follower_token": token, "client": client_info(request)}


async def follower_inbox(access: dict = Depends(follower_access), rt: Runtime = Depends(runtime)) -> Inbox:
    """Resolve a follower token through intake (REPORT_NOT_FOUND, the same 404, for a wrong one)."""
    ref = await call_intake(rt, "follower_ref", payload=access)
    return {
        "report_id": access["report_id"],
        "recipient_ref": ref["recipient_ref"],
        "reader": f"follower:{ref['recipient_ref']}",
    }


async def _inbox(rt: Runtime, inbox: Inbox, after: int, limit: int = 50) -> list:
    payload = {k: v for k, v in inbox.items() if k != "reader"}
    return await rt.rpc.call("notify", "list_inbox", payload={**payload, "after": after, "limit": limit})


class HeldConnections:
    """Open streams and waiting long-polls of this gateway process, counted per reader and per client IP, so
    one client cannot hold the process's connections (each replica counts its own)."""

    def __init__(self, per_reader: int, per_ip: int):
        self.per_reader, self.per_ip = per_reader, per_ip
        self.counts: dict[str, int] = {}

    def acquire(self, reader: str, ip: str | None) -> None:
        """Count one more held connection; may raise a 429 problem (with Retry-After) naming what is full."""
        keys = {f"reader:{reader}": self.per_reader, f"ip:{ip}": self.per_ip}
        full = next((k for k, cap in keys.items() if self.counts.get(k, 0) >= cap), None)
        if full is not None:
            field = "token" if full.startswith("reader:") else "client.ip"
            raise ApiError(
                ErrorCode.RATE_LIMITED,
                "too many open notification streams for this client",
                [
                    {
                        "field": field,
                        "message": "quá nhiều kết nối đang mở / too many open streams",
                        "type": "rate_limited",
                    }
                ],
                headers={"Retry-After": str(int(POLL_S * 3))},
            )
        for key in keys:
            self.counts[key] = self.counts.get(key, 0) + 1

    def release(self, reader: str, ip: str | None) -> None:
        for key in (f"reader:{reader}", f"ip:{ip}"):
            self.counts[key] -= 1
            if self.counts[key] <= 0:
                del self.counts[key]


def held(request: Request) -> HeldConnections:
    """The process's counter of held connections (created on first use from the settings)."""
    state = request.app.state
    if getattr(state, "held_connections", None) is None:
        settings = state.runtime.settings
        state.held_connections = HeldConnections(settings.streams_per_reader, settings.streams_per_ip)
    return state.held_connections


async def _long_poll(rt: Runtime, request: Request, inbox: Inbox, after: int, wait: int, limit: int) -> list:
    """The messages after the cursor, waiting up to `wait` seconds for the first one (a held connection)."""
    deadline = time.monotonic() + wait
    ip = client_info(request)["ip"]
    if wait:
        held(request).acquire(inbox["reader"], ip)
    try:
        while True:
            messages = await _inbox(rt, inbox, after, limit)
            if messages or time.monotonic() >= deadline or await request.is_disconnected():
                return messages
            await asyncio.sleep(POLL_S)
    finally:
        if wait:
            held(request).release(inbox["reader"], ip)


def _stream(rt: Runtime, request: Request, inbox: Inbox, cursor: int) -> StreamingResponse:
    """Server-sent events: one `notification` event per message (`id` = its cursor), heartbeats in between."""
    counter, ip = held(request), client_info(request)["ip"]
    counter.acquire(inbox["reader"], ip)  # may raise 429: nothing is held then

    async def events(cursor: int) -> AsyncIterator[str]:
        try:
            started = last_beat = time.monotonic()
            yield f"retry: {int(POLL_S * 3000)}\n\n"
            while time.monotonic() - started < STREAM_S and not await request.is_disconnected():
                try:
                    messages = await _inbox(rt, inbox, cursor)
                except Exception:  # notify unreachable for a moment: keep the stream, try again
                    messages = []
                for msg in messages:
                    cursor = msg["id"]
                    data = json.dumps(msg, ensure_ascii=False)
                    yield f"id: {cursor}\nevent: notification\ndata: {data}\n\n"
                if time.monotonic() - last_beat >= HEARTBEAT_S:
                    last_beat = time.monotonic()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(POLL_S)
        finally:
            counter.release(inbox["reader"], ip)

    return StreamingResponse(
        events(cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _list_route(reader: Callable[..., Awaitable[Inbox]]) -> Callable[..., Awaitable[list]]:
    async def list_inbox(
        request: Request,
        after: After = 0,
        wait: Wait = 0,
        limit: Limit = 50,
        inbox: Inbox = Depends(reader),
        rt: Runtime = Depends(runtime),
    ) -> list:
        return await _long_poll(rt, request, inbox, after, wait, limit)

    return list_inbox


def _stream_route(reader: Callable[..., Awaitable[Inbox]]) -> Callable[..., Awaitable[StreamingResponse]]:
    async def stream_inbox(
        request: Request,
        last_event_id: LastEventId = None,
        after: After = 0,
        inbox: Inbox = Depends(reader),
        rt: Runtime = Depends(runtime),
    ) -> StreamingResponse:
        resumed = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
        cursor = resumed if resumed is not None and resumed <= MAX_CURSOR else after
        return _stream(rt, request, inbox, cursor)

    return stream_inbox


# The reporter (tracking token) and a "me too" follower (follower token) read their inboxes the same way.
READERS = (
    (
        "/v1/reports/{report_id}/notifications",
        reporter_inbox,
        "Hộp thư thông báo / the report's in-app messages; `wait` long-polls for new ones",
        "Luồng thông báo / server-sent events: one `notification` event per in-app message",
    ),
    (
        "/v1/reports/{report_id}/followers/notifications",
        follower_inbox,
        "Hộp thư của người theo dõi / a me-too follower's in-app messages (`X-Follower-Token`); `wait` "
        "long-polls",
        "Luồng thông báo của người theo dõi / a me-too follower's server-sent events, one per in-app message",
    ),
)
for path, reader, list_summary, stream_summary in READERS:
    router.add_api_route(
        path,
        _list_route(reader),
        methods=["GET"],
        response_model=list[InboxMessageView],
        responses=PROBLEMS,
        summary=list_summary,
    )
    router.add_api_route(
        f"{path}/stream",
        _stream_route(reader),
        methods=["GET"],
        response_class=StreamingResponse,
        responses=PROBLEMS,
        summary=stream_summary,
    )


@router.post(
    "/v1/reports/{report_id}/notifications/unsubscribe",
    response_model=UnsubscribeResult,
    responses=PROBLEMS,
    summary="Hủy nhận thông báo / the reporter stops e-mail and SMS about this case",
)
async def unsubscribe_reporter(
    inbox: Inbox = Depends(reporter_inbox), rt: Runtime = Depends(runtime)
) -> dict:
    return await rt.rpc.call("notify", "unsubscribe_reporter", payload={"report_id": inbox["report_id"]})


@router.post(
    "/v1/reports/{report_id}/followers/unsubscribe",
    response_model=UnsubscribeResult,
    responses=PROBLEMS,
    summary="Người theo dõi hủy nhận thông báo / a me-too follower stops e-mail and SMS about this case "
    "(`X-Follower-Token`)",
)
async def unsubscribe_follower(
    access: dict = Depends(follower_access), rt: Runtime = Depends(runtime)
) -> dict:
    done = await call_intake(rt, "unsubscribe_follower", payload=access)
    return {"report_id": done["report_id"], "unsubscribed": done["unsubscribed"]}


@router.delete(
    "/v1/reports/{report_id}/followers/contact",
    response_model=ContactErased,
    responses=PROBLEMS,
    summary="Người theo dõi xóa thông tin liên hệ / a me-too follower erases the contact they gave "
    "(`X-Follower-Token`); their in-app messages stay",
)
async def erase_follower_contact(
    access: dict = Depends(follower_access), rt: Runtime = Depends(runtime)
) -> dict:
    return await call_intake(rt, "erase_follower_contact", payload=access)


PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""
TEXTS = {
    "vi": (
        "Hủy nhận thông báo",
        "Bạn sẽ không nhận thư điện tử và tin nhắn về phản ánh này nữa.",
        "Xác nhận hủy",
        "Đã hủy nhận thông báo",
        "Bạn sẽ không nhận thư điện tử và tin nhắn về phản ánh {code} nữa.",
    ),
    "en": (
        "Unsubscribe",
        "You will no longer get e-mails or text messages about this report.",
        "Unsubscribe",
        "Unsubscribed",
        "You will no longer get e-mails or text messages about report {code}.",
    ),
}


def _page(request: Request, done: dict | None) -> HTMLResponse:
    lang = "en" if english(request) else "vi"
    title, text, button, done_title, done_text = TEXTS[lang]
    if done is None:  # a GET only shows the button: mail scanners that follow links unsubscribe nobody
        form = f'<form method="post"><button type="submit">{html.escape(button)}</button></form>'
        return HTMLResponse(PAGE.format(lang=lang, title=title, text=html.escape(text), form=form))
    body = done_text.format(code=done.get("code") or "")
    return HTMLResponse(PAGE.format(lang=lang, title=done_title, text=html.escape(body), form=""))


@router.get(
    "/v1/notifications/unsubscribe/{link_token}",
    response_class=HTMLResponse,
    summary="Trang hủy nhận thông báo / the page behind an e-mail's unsubscribe link (confirm with POST)",
)
async def unsubscribe_page(link_token: str, request: Request) -> HTMLResponse:
    return _page(request, None)


@router.post(
    "/v1/notifications/unsubscribe/{link_token}",
    responses=PROBLEMS,
    summary="Hủy nhận thông báo qua liên kết / unsubscribe with an e-mail's link (also RFC 8058 one-click)",
)
async def unsubscribe_link(link_token: str, request: Request, rt: Runtime = Depends(runtime)):
    if not 16 <= len(link_token) <= 100:
        raise ApiError(ErrorCode.NOT_FOUND, "unknown or expired unsubscribe link")
    done = await rt.rpc.call(
        "notify", "unsubscribe_link", payload={"token": link_token}
    )  # may raise NOT_FOUND
    if "text/html" in request.headers.get("accept", ""):
        return _page(request, done)
    return done
