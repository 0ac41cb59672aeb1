"""Prometheus metrics of the gateway process (and the consumers of every service's RPC queue)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..deps import Runtime, runtime
from ..observability import QUEUES
from ..rpc import RpcUnavailable
from .health import SERVICES

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    token = rt.settings.metrics_token
    if token and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    try:
        await QUEUES.refresh(rt.rpc, SERVICES)
    except (RpcUnavailable, OSError, RuntimeError):  # broker down: the HTTP metrics still answer
        pass
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
