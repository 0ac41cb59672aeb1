"""Liveness and readiness."""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..deps import Runtime, runtime
from ..rpc import RemoteError, RpcTimeout, RpcUnavailable

router = APIRouter(tags=["health"])
SERVICES = ("intake", "routing", "media", "notify", "feedback")


@router.get("/health", summary="Liveness: the gateway process answers")
async def health() -> dict:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: broker, every service, its database and the object store answer")
async def ready(rt: Runtime = Depends(runtime)) -> JSONResponse:
    async def check(service: str) -> tuple[str, dict]:
        try:
            answer = await rt.rpc.call(service, "health", timeout=rt.settings.ready_timeout_s)
            return service, {"ok": bool(answer["ok"]), **answer["checks"]}
        except (RpcTimeout, RpcUnavailable, RemoteError) as exc:
            return service, {"ok": False, "error": type(exc).__name__}

    try:
        await rt.rpc.connect()
        broker = True
    except RpcUnavailable:
        broker = False
    services = dict(await asyncio.gather(*(check(s) for s in SERVICES))) if broker else {}
    ok = broker and all(s["ok"] for s in services.values())
    return JSONResponse({"status": "ready" if ok else "not_ready", "broker": broker, "services": services},
                        status_code=200 if ok else 503)
