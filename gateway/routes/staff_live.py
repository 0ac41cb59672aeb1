"""The staff console's live views: server-sent events when cases change, and the counts of every queue tab.

`GET /v1/staff/events` streams one `case` event per change (`{report_id, type, status}`): every case for
operators and administrators, only their own agency's cases for agency staff. The console re-reads its queue
on each one. The stream re-checks the session every minute (an ended session closes it) and ends after 10
minutes; the client reconnects. Reads need no CSRF token, so the cookie alone opens it (EventSource or fetch).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from libs.auth.tokens import AGENCY_ROLES, Principal
from libs.contracts.errors import ErrorCode

from ..auth import actor_payload, require, session_principal
from ..calls import PROBLEMS, call_intake
from ..deps import Runtime, runtime
from ..problems import ApiError

router = APIRouter(prefix="/v1", tags=["staff console"])
Staff = Annotated[Principal, Depends(require())]
Operator = Annotated[Principal, Depends(require("operator"))]
Agency = Annotated[Principal, Depends(require("agency_officer", "agency_leader"))]
OPERATOR_TABS = (
    "urgent",
    "new",
    "info_answered",
    "unroutable",
    "returned",
    "results",
    "extensions",
    "reopen_requests",
    "overdue",
)  # urgent: a citizen's KHAN routed at once, awaiting verification
AGENCY_TABS = ("new", "in_progress", "due_soon", "overdue")
STREAM_S, HEARTBEAT_S, RECHECK_S = 600, 15, 60


class QueueCounts(BaseModel):
    """How many cases wait in each tab."""

    counts: dict[str, int]


async def _counts(rt: Runtime, principal: Principal, tabs: tuple[str, ...]) -> QueueCounts:
    pages = await asyncio.gather(
        *(
            call_intake(
                rt,
                "list_queue",
                payload={"actor": actor_payload(principal), "bucket": tab, "offset": 0, "limit": 1},
            )
            for tab in tabs
        )
    )
    return QueueCounts(counts={tab: page["total"] for tab, page in zip(tabs, pages)})


@router.get(
    "/operator/queue/counts",
    response_model=QueueCounts,
    responses=PROBLEMS,
    summary="Số hồ sơ theo thẻ / how many cases each tab of the operator's queue holds",
)
async def operator_counts(principal: Operator, rt: Runtime = Depends(runtime)) -> QueueCounts:
    return await _counts(rt, principal, OPERATOR_TABS)


@router.get(
    "/agency/inbox/counts",
    response_model=QueueCounts,
    responses=PROBLEMS,
    summary="Số hồ sơ theo thẻ / how many cases each tab of the agency's inbox holds",
)
async def agency_counts(principal: Agency, rt: Runtime = Depends(runtime)) -> QueueCounts:
    return await _counts(rt, principal, AGENCY_TABS)


@router.get(
    "/staff/events",
    response_class=StreamingResponse,
    responses=PROBLEMS,
    summary="Luồng thay đổi hồ sơ / server-sent events: one `case` event per change the caller may see",
)
async def staff_events(request: Request, principal: Staff) -> StreamingResponse:
    feed = request.app.state.case_feed
    try:
        queue = await feed.subscribe()
    except Exception:
        raise ApiError(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            "the live feed is unavailable; retry",
            headers={"Retry-After": "5"},
        ) from None
    agency = principal.agency if principal.role in AGENCY_ROLES else None

    async def events() -> AsyncIterator[str]:
        started = checked = time.monotonic()
        try:
            yield "retry: 3000\n\nevent: ready\ndata: {}\n\n"
            while time.monotonic() - started < STREAM_S and not await request.is_disconnected():
                try:
                    change = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                else:
                    if principal.role not in AGENCY_ROLES or change.for_agency(agency):
                        yield f"event: case\ndata: {change.as_json()}\n\n"
                if time.monotonic() - checked >= RECHECK_S:
                    checked = time.monotonic()
                    try:
                        await session_principal(request, principal)
                    except ApiError:
                        yield "event: ended\ndata: {}\n\n"
                        return
        finally:
            feed.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
