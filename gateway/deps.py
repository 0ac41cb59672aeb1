"""Shared per-process objects of the gateway: the RPC client, an HTTP client, the category cache."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
from fastapi import Request

from .rpc import RpcClient, RpcTimeout, RpcUnavailable
from .settings import GatewaySettings


@dataclass
class CategoryCache:
    """Category codes from routing, refreshed after a TTL; stale data is kept if routing is down."""

    ttl_s: float
    codes: frozenset[str] = frozenset()
    loaded_at: float = field(default=float("-inf"))

    async def known(self, rpc: RpcClient, code: str) -> bool | None:
        """True/False when the directory is known, None when it could never be loaded."""
        if time.monotonic() - self.loaded_at > self.ttl_s:
            try:
                rows = await rpc.call("routing", "list_categories", timeout=2.0)
                self.codes, self.loaded_at = frozenset(r["code"] for r in rows), time.monotonic()
            except (RpcTimeout, RpcUnavailable):
                pass
        if not self.codes:
            return None
        return code in self.codes


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
