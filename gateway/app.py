"""The gateway application: FastAPI over an asyncio nameko-RPC client (see docs/architecture.md for why)."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from . import problems
from .deps import CategoryCache, Runtime
from . import routes
from .rpc import RpcClient, RpcUnavailable
from .settings import GatewaySettings

log = logging.getLogger("gateway")


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the app; the broker connection opens at start-up (and is retried on first use)."""
    settings = settings or GatewaySettings()
    settings.jwt_key  # refuse to start with a weak staff-token key (raises WeakSigningKey)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        rt = Runtime(settings, RpcClient(settings.amqp_uri, settings.rpc_timeout_s),
                     httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)),
                     CategoryCache(settings.categories_ttl_s))
        app.state.runtime = rt
        try:
            await rt.rpc.connect()
        except RpcUnavailable as exc:
            log.warning("%s (will retry on the first request)", exc)
        yield
        await rt.http.aclose()
        await rt.rpc.close()

    app = FastAPI(title="Hiện Trường API", version="0.1.0", lifespan=lifespan,
                  description="Phản ánh hiện trường — field reports. Vietnamese first; send "
                              "`Accept-Language: en` for English error titles.")
    problems.install(app)
    for router in routes.all_routers():
        app.include_router(router)
    return app


def main() -> None:
    """Run with uvicorn on GATEWAY_HOST:GATEWAY_PORT (default 127.0.0.1:8000)."""
    import uvicorn

    settings = GatewaySettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gateway %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_level="info", access_log=False)


if __name__ == "__main__":
    main()
