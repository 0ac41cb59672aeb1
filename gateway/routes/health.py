"""Liveness and readiness.

`/ready` is exempt from admission control (it is never refused or queued at the gateway's door). It says which
dependency is saturated: a service that did not answer in time is shown with the messages waiting in its RPC
queue and its consumers (`saturated: true` when requests are waiting), and the gateway shows its own requests
in progress per route class and the classes at their bound (those do not make it unready)."""

from __future__ import annotations

import asyncio

from aio_pika.exceptions import AMQPError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..calls import PUBLIC_READS
from ..deps import Runtime, runtime
from ..rpc import RemoteError, RpcTimeout, RpcUnavailable

router = APIRouter(tags=["health"])
SERVICES = ("intake", PUBLIC_READS, "routing", "media", "notify", "feedback", "accounts")


@router.get("/health", summary="Liveness: the gateway process answers")
async def health() -> dict:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: broker, every service, its database and the object store answer")
async def ready(request: Request, rt: Runtime = Depends(runtime)) -> JSONResponse:
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
    await _queues(rt, services)
    ok = broker and all(s["ok"] for s in services.values())
    body = {"status": "ready" if ok else "not_ready", "broker": broker, "services": services}
    door = getattr(request.app.state, "door", None)
    if door is not None:
        body["gateway"] = door.state()
    return JSONResponse(body, status_code=200 if ok else 503)


async def _queues(rt: Runtime, services: dict[str, dict]) -> None:
    """Add the RPC queue's backlog to each service that did not answer in time: saturated, or not
    consuming."""
    slow = [name for name, state in services.items() if state.get("error") == "RpcTimeout"]
    if not slow:
        return
    try:
        found = await asyncio.wait_for(
            rt.rpc.queue_state([f"rpc-{name}" for name in slow]), rt.settings.ready_timeout_s
        )
    except (TimeoutError, RpcUnavailable, AMQPError, OSError):
        return
    for name in slow:
        waiting, consumers = found.get(f"rpc-{name}", (0, 0))
        services[name].update(queued=waiting, consumers=consumers, saturated=waiting > 0 and consumers > 0)
