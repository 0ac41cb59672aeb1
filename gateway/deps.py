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
    """Categories from routing (code → row), refreshed after a TTL; stale data is kept if routing is down."""

    ttl_s: float
    rows: dict[str, dict] = field(default_factory=dict)
    loaded_at: float = field(default=float("-inf"))

    async def load(self, rpc: RpcClient) -> dict[str, dict]:
        """The rows by code; empty when they could never be loaded."""
        if time.monotonic() - self.loaded_at > self.ttl_s:
            try:
                rows = await rpc.call("routing", "list_categories", timeout=2.0)
                self.rows, self.loaded_at = {r["code"]: r for r in rows}, time.monotonic()
            except (RpcTimeout, RpcUnavailable):
                pass
        return self.rows


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
