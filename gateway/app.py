"""The gateway application: FastAPI over an asyncio nameko-RPC client (see docs/architecture.md for why)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from libs.platform import logs

from . import admission, edge, observability, problems, readcache, routes, web
from .casefeed import CaseFeed
from .deps import CategoryCache, Runtime
from .oidc import Provider
from .rpc import RpcClient, RpcUnavailable
from .settings import GatewaySettings

log = logging.getLogger("gateway")


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the app; the broker connection opens at start-up (and is retried on first use)."""
    settings = settings or GatewaySettings()
    _ = settings.jwt_key  # refuse to start with a weak staff-token key (raises WeakSigningKey)
    _ = (
        settings.grant_signing_key
    )  # and without the key of the grants for reads of personal data (ValueError)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        rt = Runtime(
            settings,
            RpcClient(settings.amqp_uri, settings.rpc_timeout_s),
            httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)),
            CategoryCache(settings.categories_ttl_s),
        )
        app.state.runtime = rt
        try:
            await rt.rpc.connect()
        except RpcUnavailable as exc:
            log.warning("%s (will retry on the first request)", exc)
        yield
        await app.state.case_feed.close()
        await rt.http.aclose()
        await rt.rpc.close()

    app = FastAPI(
        title="Hiện Trường API",
        version="0.1.0",
        lifespan=lifespan,
        description="Phản ánh hiện trường — field reports. Vietnamese first; send "
        "`Accept-Language: en` for English error titles.",
    )
    app.state.oidc = Provider(settings)  # single sign-on, when OIDC_ISSUER is configured
    app.state.case_feed = CaseFeed(settings.amqp_uri)  # live hints for the staff console, bound on first use
    problems.install(app)
    edge.install(app, settings)  # inside the request id: its refusals carry X-Request-Id
    admission.install(app, settings)  # in-flight bounds per route class, before the edge guard
    readcache.install(app)  # public reads (READ_CACHE_TTL_S), outside the bounds: a hit holds no service
    admission.install_buckets(
        app
    )  # per-client buckets, outside the cache: a flood of cached reads is a flood
    observability.install(app)
    for router in routes.all_routers():
        app.include_router(router)
    web.install(app, settings)
    return app


def main() -> None:
    """Run with uvicorn on GATEWAY_HOST:GATEWAY_PORT (default 127.0.0.1:8000)."""
    import uvicorn

    settings = GatewaySettings()
    logs.configure("gateway")
    # the client address (rate limits, sign-in throttles) comes from X-Forwarded-For only when the peer is one
    # of TRUSTED_PROXIES (uvicorn takes the right-most address no trusted proxy added); otherwise it is the
    # peer's own GATEWAY_WORKERS > 1: uvicorn's worker processes share the socket, each builds its own app
    # from the environment
    app = "gateway.app:create_app" if settings.gateway_workers > 1 else create_app(settings)
    uvicorn.run(
        app,
        factory=settings.gateway_workers > 1,
        workers=settings.gateway_workers,
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=logs.dict_config("gateway"),
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )


if __name__ == "__main__":
    main()
