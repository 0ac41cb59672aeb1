"""The citizen's side of notifications: the in-app inbox of a report (list, long-poll, server-sent events) and
unsubscribing from a case (with the tracking token, or with an e-mail's unsubscribe link).

The inbox is opened with the report's tracking token; the gateway checks it through intake (`get_report`) and
answers 404 for a wrong token, as for an unknown report.
"""
from __future__ import annotations

import asyncio
import html
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from libs.contracts.errors import ErrorCode
from libs.contracts.notify import InboxMessageView, UnsubscribeResult

from ..deps import Runtime, runtime
from ..problems import ApiError, english
from .lifecycle_support import PROBLEMS

router = APIRouter(tags=["notifications"])
POLL_S = 1.0  # how often a waiting client's inbox is looked at
MAX_WAIT_S = 30  # long-poll: the longest a request is held
STREAM_S = 300  # server-sent events: a stream ends after this (clients reconnect with Last-Event-ID)
HEARTBEAT_S = 15
TokenHeader = Annotated[str | None, Header(alias="X-Tracking-Token", max_length=200,
                                           description="The report's private tracking token")]
TokenQuery = Annotated[str | None, Query(alias="token", max_length=200,
                                         description="Same as X-Tracking-Token (EventSource sends no headers)")]


async def _owner(rt: Runtime, report_id: UUID, token: str | None) -> None:
    """Check the tracking token through intake; a wrong or missing token is a 404 like an unknown report."""
    if not token:
        raise ApiError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}")
    view = await rt.rpc.call("intake", "get_report", payload={"report_id": str(report_id), "tracking_token": token})
    if view.get("own") is not True:  # intake says whether the token matched
        raise ApiError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}")


async def _inbox(rt: Runtime, report_id: UUID, after: int, limit: int = 50) -> list:
    return await rt.rpc.call("notify", "list_inbox", payload={"report_id": str(report_id), "after": after,
                                                              "limit": limit})


@router.get("/v1/reports/{report_id}/notifications", response_model=list[InboxMessageView], responses=PROBLEMS,
            summary="Hộp thư thông báo / the report's in-app messages; `wait` long-polls for new ones")
async def notifications(report_id: UUID, request: Request, tracking_token: TokenHeader = None,
                        token: TokenQuery = None, after: Annotated[int, Query(ge=0)] = 0,
                        wait: Annotated[int, Query(ge=0, le=MAX_WAIT_S, description="seconds to wait")] = 0,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50, rt: Runtime = Depends(runtime)) -> list:
    await _owner(rt, report_id, tracking_token or token)
    deadline = time.monotonic() + wait
    while True:
        messages = await _inbox(rt, report_id, after, limit)
        if messages or time.monotonic() >= deadline or await request.is_disconnected():
            return messages
        await asyncio.sleep(POLL_S)


@router.get("/v1/reports/{report_id}/notifications/stream", responses=PROBLEMS,
            response_class=StreamingResponse,
            summary="Luồng thông báo / server-sent events: one `notification` event per in-app message")
async def stream(report_id: UUID, request: Request, tracking_token: TokenHeader = None, token: TokenQuery = None,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
                 after: Annotated[int, Query(ge=0)] = 0, rt: Runtime = Depends(runtime)) -> StreamingResponse:
    await _owner(rt, report_id, tracking_token or token)
    cursor = int(last_event_id) if last_event_id and last_event_id.isdigit() else after

    async def events(cursor: int) -> AsyncIterator[str]:
        started = last_beat = time.monotonic()
        yield f"retry: {int(POLL_S * 3000)}\n\n"
        while time.monotonic() - started < STREAM_S and not await request.is_disconnected():
            try:
                messages = await _inbox(rt, report_id, cursor)
            except Exception:  # notify unreachable for a moment: keep the stream, try again
                messages = []
            for msg in messages:
                cursor = msg["id"]
                yield f"id: {cursor}\nevent: notification\ndata: {json.dumps(msg, ensure_ascii=False)}\n\n"
            if time.monotonic() - last_beat >= HEARTBEAT_S:
                last_beat = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_S)

    return StreamingResponse(events(cursor), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/v1/reports/{report_id}/notifications/unsubscribe", response_model=UnsubscribeResult,
             responses=PROBLEMS, summary="Hủy nhận thông báo / the reporter stops e-mail and SMS about this case")
async def unsubscribe_reporter(report_id: UUID, tracking_token: TokenHeader = None, token: TokenQuery = None,
                               rt: Runtime = Depends(runtime)) -> dict:
    await _owner(rt, report_id, tracking_token or token)
    return await rt.rpc.call("notify", "unsubscribe_reporter", payload={"report_id": str(report_id)})


PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""
TEXTS = {
    "vi": ("Hủy nhận thông báo", "Bạn sẽ không nhận thư điện tử và tin nhắn về phản ánh này nữa.", "Xác nhận hủy",
           "Đã hủy nhận thông báo", "Bạn sẽ không nhận thư điện tử và tin nhắn về phản ánh {code} nữa."),
    "en": ("Unsubscribe", "You will no longer get e-mails or text messages about this report.", "Unsubscribe",
           "Unsubscribed", "You will no longer get e-mails or text messages about report {code}."),
}


def _page(request: Request, done: dict | None) -> HTMLResponse:
    lang = "en" if english(request) else "vi"
    title, text, button, done_title, done_text = TEXTS[lang]
    if done is None:  # a GET only shows the button: mail scanners that follow links unsubscribe nobody
        form = f'<form method="post"><button type="submit">{html.escape(button)}</button></form>'
        return HTMLResponse(PAGE.format(lang=lang, title=title, text=html.escape(text), form=form))
    body = done_text.format(code=done.get("code") or "")
    return HTMLResponse(PAGE.format(lang=lang, title=done_title, text=html.escape(body), form=""))


@router.get("/v1/notifications/unsubscribe/{link_token}", response_class=HTMLResponse,
            summary="Trang hủy nhận thông báo / the page behind an e-mail's unsubscribe link (confirm with POST)")
async def unsubscribe_page(link_token: str, request: Request) -> HTMLResponse:
    return _page(request, None)


@router.post("/v1/notifications/unsubscribe/{link_token}", responses=PROBLEMS,
             summary="Hủy nhận thông báo qua liên kết / unsubscribe with an e-mail's link (also RFC 8058 one-click)")
async def unsubscribe_link(link_token: str, request: Request, rt: Runtime = Depends(runtime)):
    if not 16 <= len(link_token) <= 100:
        raise ApiError(ErrorCode.NOT_FOUND, "unknown or expired unsubscribe link")
    done = await rt.rpc.call("notify", "unsubscribe_link", payload={"token": link_token})  # may raise NOT_FOUND
    if "text/html" in request.headers.get("accept", ""):
        return _page(request, done)
    return done
