"""Helpers shared by the lifecycle routes (no router here): intake calls, 429 with Retry-After, staff
verbs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel

from libs.auth.tokens import Principal
from libs.contracts.errors import ErrorCode, Problem

from .auth import actor_payload
from .deps import Runtime
from .problems import ApiError
from .rpc import RemoteError

# intake's public reads, served by a service of their own so that a flood of reads never queues before a
# citizen's submission or a staff action (issue 18; docs/architecture.md). The one place the gateway names it.
PUBLIC_READS = "intake_reads"
PROBLEMS = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (401, 403, 404, 409, 422, 429, 503, 504)
}


def client_info(request: Request, device_id: str | None = None) -> dict:
    """The client as rate limits see it: its IP (uvicorn applies X-Forwarded-For from trusted proxies) and
    device."""
    ip = request.client.host if request.client else None
    return {"ip": ip, "device_id": device_id}


async def call_intake(rt: Runtime, method: str, **kwargs: Any) -> Any:
    """Call intake; RATE_LIMITED becomes a 429 problem with `Retry-After` (intake names the seconds)."""
    return await call_service(rt, "intake", method, **kwargs)


async def call_reads(rt: Runtime, method: str, **kwargs: Any) -> Any:
    """Call intake's public reads (search, a report without its tracking token, Open311 feeds)."""
    return await call_service(rt, PUBLIC_READS, method, **kwargs)


async def call_media(rt: Runtime, method: str, **kwargs: Any) -> Any:
    """Call media; RATE_LIMITED (intake's answer about wrong tokens, passed on) becomes a 429 problem."""
    return await call_service(rt, "media", method, **kwargs)


async def call_service(rt: Runtime, service: str, method: str, **kwargs: Any) -> Any:
    """Call a service; RATE_LIMITED becomes a 429 problem with `Retry-After` (the service names the
    seconds)."""
    try:
        return await rt.rpc.call(service, method, **kwargs)
    except RemoteError as exc:
        if exc.code == ErrorCode.RATE_LIMITED:
            errors = exc.errors
            wait = next((e["message"] for e in errors if e.get("field") == "Retry-After"), "60")
            raise ApiError(
                ErrorCode.RATE_LIMITED,
                exc.detail,
                [e for e in errors if e.get("field") != "Retry-After"],
                headers={"Retry-After": str(wait)},
            ) from None
        raise


async def staff_act(rt: Runtime, report_id: UUID, principal: Principal, action: BaseModel | dict) -> dict:
    """One staff verb on a case; intake re-checks the object (404 for a case this staff member may not
    see)."""
    body = action.model_dump(mode="json") if isinstance(action, BaseModel) else action
    return await call_intake(
        rt,
        "act_on_case",
        payload={"report_id": str(report_id), "actor": actor_payload(principal), "action": body},
    )
