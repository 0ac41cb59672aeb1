"""A long answer to a request without a body (the console's and the citizen's event streams) is not a slow
body: the edge guard's body timeouts must not end it. Served by a real uvicorn on loopback, read by a real
client."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from gateway.edge import EdgeGuard
from gateway.settings import GatewaySettings

STREAM_S = 2.0


async def events(request: Request) -> StreamingResponse:
    async def body():
        started = time.monotonic()
        while time.monotonic() - started < STREAM_S and not await request.is_disconnected():
            yield b": tick\n\n"
            await asyncio.sleep(0.05)
        yield b"event: end\ndata: {}\n\n"

    return StreamingResponse(body(), media_type="text/event-stream")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_event_stream_outlives_the_body_idle_timeout():
    settings = GatewaySettings(HT_JWT_SECRET="k" * 40, BODY_IDLE_TIMEOUT_S=0.2)
    app = EdgeGuard(Starlette(routes=[Route("/v1/staff/events", events)]), settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        with httpx.stream("GET", f"http://127.0.0.1:{port}/v1/staff/events", timeout=10) as answer:
            text = "".join(answer.iter_text())
        lasted = time.monotonic() - started
        assert answer.status_code == 200
        assert text.endswith("event: end\ndata: {}\n\n") and lasted >= STREAM_S * 0.9, (lasted, text[-80:])
    finally:
        server.should_exit = True
        thread.join(10)
