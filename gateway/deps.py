"""Shared per-process objects of the gateway: the RPC client, an HTTP client, the category cache."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from fastapi import Request

from libs.platform.expiring import Expiring

from .rpc import RpcClient, RpcTimeout, RpcUnavailable
from .settings import GatewaySettings


@dataclass
class CategoryCache:
    """The gateway's one client of routing's category catalogue (code → row; REST and Open311 each keep one):
    refreshed after `ttl_s`, the last answer kept while routing does not answer (libs.platform.expiring)."""

    ttl_s: float
    timeout_s: float = 2.0
    cached: Expiring[dict[str, dict]] = field(init=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.cached = Expiring(self.ttl_s)

    async def fetch(self, rpc: RpcClient) -> dict[str, dict]:
        """The rows by code, asking routing when they are due; may raise RpcTimeout/RpcUnavailable before the
        first answer."""
        if self.cached.due():
            async with self.lock:
                if self.cached.due():
                    self.cached.asking()
                    try:
                        rows = await rpc.call("routing", "list_categories", timeout=self.timeout_s)
                    except (RpcTimeout, RpcUnavailable):
                        if not self.cached.loaded:
                            raise
                    else:
                        self.cached.take({r["code"]: r for r in rows})
        return self.cached.value or {}

    async def load(self, rpc: RpcClient) -> dict[str, dict]:
        """The rows by code; empty when they could never be loaded."""
        try:
            return await self.fetch(rpc)
        except (RpcTimeout, RpcUnavailable):
            return {}


@dataclass
class Runtime:
    """Everything a request handler needs, created once per process."""

    settings: GatewaySettings
    rpc: RpcClient
    http: httpx.AsyncClient
    categories: CategoryCache


def runtime(request: Request) -> Runtime:
    """FastAPI dependency: the process's Runtime."""
    return request.app.state.runtime
